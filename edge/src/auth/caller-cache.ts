/**
 * Authenticated callers remembered per isolate for a few seconds, so reads under load do not
 * look the same account or API key up on every request (docs/operations.md, `AUTH_CACHE_SECONDS`).
 *
 * What is remembered is only ever a usable credential; anything refused is looked up again. Time
 * bounds (key expiry) are checked on every use by the caller, not here. An isolate forgets a
 * user's entries as soon as it serves a write of theirs (revoking a key, signing out) or disables
 * them, and a lookup that began before such a forget is not stored; other isolates see the
 * change within the time to live.
 */
import { sharedResult } from "../shared-promise";
import type { Role, Scope } from "./scopes";

type Entry<T> = { value: T; userId: string; storedAt: number };

/** Entries one isolate keeps; the oldest go first. */
const MAX_ENTRIES = 10_000;

export class CallerCache<T> {
  private readonly entries = new Map<string, Entry<T>>();
  private readonly keysOfUser = new Map<string, Set<string>>();
  /** Lookups under way for reads, shared by concurrent misses of the same key. */
  private readonly loading = new Map<string, Promise<T>>();
  private forgets = 0;

  constructor(
    private readonly now: () => number = Date.now,
    private readonly maxEntries = MAX_ENTRIES,
  ) {}

  /** Mark to pass to `set`: a lookup that began before a later `forgetUser` is not stored. */
  mark(): number {
    return this.forgets;
  }

  get(key: string, ttlMs: number): T | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (this.now() - entry.storedAt < ttlMs) return entry.value;
    this.delete(key);
    return undefined;
  }

  /**
   * Runs `lookup` for a read that missed, unless one for `key` is already under way: then its
   * answer (or refusal) is shared. A forget drops every shared lookup, so a request that arrives
   * after a revocation never waits on one that began before it.
   */
  load(key: string, lookup: () => Promise<T>): Promise<T> {
    const pending = this.loading.get(key);
    if (pending) return sharedResult(pending);
    const started = lookup();
    this.loading.set(key, started);
    const done = () => {
      if (this.loading.get(key) === started) this.loading.delete(key);
    };
    started.then(done, done);
    return started;
  }

  set(key: string, userId: string, value: T, mark: number): void {
    if (mark !== this.forgets) return;
    this.delete(key);
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.delete(oldest.value);
    }
    this.entries.set(key, { value, userId, storedAt: this.now() });
    let keys = this.keysOfUser.get(userId);
    if (!keys) {
      keys = new Set();
      this.keysOfUser.set(userId, keys);
    }
    keys.add(key);
  }

  /** Forgets `key` (a credential just refused): a lookup already under way is not stored either. */
  forget(key: string): void {
    this.forgets++;
    this.loading.clear();
    this.delete(key);
  }

  private delete(key: string): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.entries.delete(key);
    const keys = this.keysOfUser.get(entry.userId);
    keys?.delete(key);
    if (keys?.size === 0) this.keysOfUser.delete(entry.userId);
  }

  /** Forgets everything remembered for `userId` (their token and every key of theirs). */
  forgetUser(userId: string): void {
    this.forgets++;
    this.loading.clear();
    for (const key of this.keysOfUser.get(userId) ?? []) this.entries.delete(key);
    this.keysOfUser.delete(userId);
  }
}

/** What authentication remembers of a usable credential: its account, and for a key the key. */
export type CachedCaller = {
  userId: string;
  email: string;
  role: Role;
  userCreatedAt: Date;
  apiKey?: { id: string; scopes: Scope[]; expiresAt: Date | null; lastUsedAt: Date | null };
};

/** This isolate's callers: `user:<id>` for access tokens, `key:<sha-256>` for API keys. */
export const callers = new CallerCache<CachedCaller>();
