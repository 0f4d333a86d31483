import { sharedResult } from "../shared-promise";

type Entry<T> = { value: Promise<T>; expiresAt: number };

/**
 * Memoises `load` per key (an object, so entries go with it) for a time-to-live given at each
 * call. Callers that come while a load is in flight share it, whatever the TTL; the TTL counts
 * from when it settled; a failed load is forgotten at once, so the next caller tries again.
 */
export function createTtlCache<K extends object, T>(
  load: (key: K) => Promise<T>,
  now: () => number = Date.now,
) {
  const entries = new WeakMap<K, Entry<T>>();
  return function cached(key: K, ttlMs: number): Promise<T> {
    const entry = entries.get(key);
    // Still loading (expiresAt is set when it settles): another request's work, awaited in ours.
    if (entry && entry.expiresAt === Number.POSITIVE_INFINITY) return sharedResult(entry.value);
    if (entry && now() < entry.expiresAt) return entry.value;
    const fresh: Entry<T> = { value: load(key), expiresAt: Number.POSITIVE_INFINITY };
    entries.set(key, fresh);
    fresh.value.then(
      () => {
        fresh.expiresAt = now() + ttlMs;
      },
      () => {
        if (entries.get(key) === fresh) entries.delete(key);
      },
    );
    return fresh.value;
  };
}
