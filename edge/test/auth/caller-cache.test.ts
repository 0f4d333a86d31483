import { describe, expect, test } from "bun:test";
import { apiKeys, users } from "@db/schema";
import { CallerCache } from "@edge/auth/caller-cache";
import { createApiKey, GENEROUS_AUTH_LIMITS, signedInUser } from "@scripts/testing/auth-fixtures";
import { useTestWorker } from "@scripts/testing/test-worker";
import { eq } from "drizzle-orm";

/** The bound the docs state: a change made elsewhere reaches reads within AUTH_CACHE_SECONDS. */
const CACHE_SECONDS = 2;
const worker = useTestWorker({
  vars: { ...GENEROUS_AUTH_LIMITS, AUTH_CACHE_SECONDS: String(CACHE_SECONDS) },
});

const read = (credential: string) =>
  worker.current.fetch("/v1/me", { headers: { Authorization: `Bearer ${credential}` } });
/** A write that needs authentication first (its body would be refused after it). */
const write = (credential: string) =>
  worker.current.fetch("/v1/api-keys", {
    method: "POST",
    headers: { Authorization: `Bearer ${credential}`, "Content-Type": "application/json" },
    body: "{}",
  });

async function expectRefusedWithChallenge(response: Response) {
  expect(response.status).toBe(401);
  expect(response.headers.get("www-authenticate")).toContain('error="invalid_token"');
}

describe("remembered callers: changes made elsewhere (another isolate, an operator)", () => {
  test("a disabled account: writes refuse its token at once, reads within the bound", async () => {
    const { user, session } = await signedInUser(worker.current);
    expect((await read(session.accessToken)).status).toBe(200);
    await worker.current.db.update(users).set({ disabledAt: new Date() }).where(eq(users.id, user.id));
    await expectRefusedWithChallenge(await write(session.accessToken));
    await Bun.sleep(CACHE_SECONDS * 1000 + 100);
    await expectRefusedWithChallenge(await read(session.accessToken));
  });

  test("a revoked key: writes refuse it at once, reads within the bound", async () => {
    const { auth } = await signedInUser(worker.current);
    const created = await createApiKey(worker.current, auth, ["jobs:read"]);
    expect((await read(created.key)).status).toBe(200);
    await worker.current.db
      .update(apiKeys)
      .set({ revokedAt: new Date() })
      .where(eq(apiKeys.id, created.apiKey.id));
    await expectRefusedWithChallenge(await write(created.key));
    await Bun.sleep(CACHE_SECONDS * 1000 + 100);
    await expectRefusedWithChallenge(await read(created.key));
  });

  test("a remembered key that expires is refused at its expiry, not at the end of the bound", async () => {
    const { auth } = await signedInUser(worker.current);
    const created = await createApiKey(worker.current, auth, ["jobs:read"]);
    const expiresAt = new Date(Date.now() + 600);
    await worker.current.db.update(apiKeys).set({ expiresAt }).where(eq(apiKeys.id, created.apiKey.id));
    expect((await read(created.key)).status).toBe(200);
    await Bun.sleep(Math.max(0, expiresAt.getTime() - Date.now()) + 50);
    await expectRefusedWithChallenge(await read(created.key));
  });
});

describe("remembered callers: changes made through this isolate take effect at once", () => {
  test("a key revoked through the API", async () => {
    const { auth } = await signedInUser(worker.current);
    const created = await createApiKey(worker.current, auth, ["jobs:read"]);
    expect((await read(created.key)).status).toBe(200);
    const revoke = await worker.current.fetch(`/v1/api-keys/${created.apiKey.id}`, {
      method: "DELETE",
      headers: { Authorization: auth },
    });
    expect(revoke.status).toBe(204);
    await expectRefusedWithChallenge(await read(created.key));
  });

  test("an account disabled through the admin API: its token and keys", async () => {
    const admin = await signedInUser(worker.current, { role: "admin" });
    const target = await signedInUser(worker.current);
    const key = await createApiKey(worker.current, target.auth, ["jobs:read"]);
    expect((await read(target.session.accessToken)).status).toBe(200);
    expect((await read(key.key)).status).toBe(200);
    const disable = await worker.current.fetch(`/v1/admin/users/${target.user.id}/disable`, {
      method: "POST",
      headers: { Authorization: admin.auth },
    });
    expect(disable.status).toBe(200);
    await expectRefusedWithChallenge(await read(target.session.accessToken));
    await expectRefusedWithChallenge(await read(key.key));
  });
});

describe("CallerCache", () => {
  const clock = () => {
    let now = 0;
    return { now: () => now, advance: (ms: number) => (now += ms) };
  };

  test("an entry lives for the time to live given at each read", () => {
    const time = clock();
    const cache = new CallerCache<string>(time.now);
    cache.set("key:a", "u1", "alice", cache.mark());
    time.advance(999);
    expect(cache.get("key:a", 1000)).toBe("alice");
    expect(cache.get("key:a", 0)).toBeUndefined();
    expect(cache.get("key:a", 1000)).toBeUndefined();
  });

  test("a lookup that began before a user was forgotten is not stored", () => {
    const cache = new CallerCache<string>();
    const before = cache.mark();
    cache.forgetUser("u1");
    cache.set("user:u1", "u1", "stale", before);
    expect(cache.get("user:u1", 60_000)).toBeUndefined();
    cache.set("user:u1", "u1", "fresh", cache.mark());
    expect(cache.get("user:u1", 60_000)).toBe("fresh");
  });

  test("forgetting a user forgets their token and every key, nobody else's", () => {
    const cache = new CallerCache<string>();
    cache.set("user:u1", "u1", "token", cache.mark());
    cache.set("key:k1", "u1", "key", cache.mark());
    cache.set("key:k2", "u2", "other", cache.mark());
    cache.forgetUser("u1");
    expect(cache.get("user:u1", 60_000)).toBeUndefined();
    expect(cache.get("key:k1", 60_000)).toBeUndefined();
    expect(cache.get("key:k2", 60_000)).toBe("other");
  });

  test("concurrent misses share one lookup; after a forget, a miss looks up afresh", async () => {
    const cache = new CallerCache<string>();
    let lookups = 0;
    let finish: (value: string) => void = () => {};
    const lookup = () => {
      lookups++;
      return new Promise<string>((resolve) => (finish = resolve));
    };
    const first = cache.load("user:u1", lookup);
    const second = cache.load("user:u1", lookup);
    expect(lookups).toBe(1);
    cache.forgetUser("u1");
    const afterForget = cache.load("user:u1", lookup);
    expect(lookups).toBe(2);
    finish("fresh");
    expect(await afterForget).toBe("fresh");
    expect(await Promise.race([first, second, Bun.sleep(10).then(() => "pending")])).toBe("pending");
  });

  test("holds at most its bound of entries, dropping the oldest", () => {
    const cache = new CallerCache<number>(Date.now, 3);
    for (let i = 0; i < 5; i++) cache.set(`key:${i}`, `u${i}`, i, cache.mark());
    expect([0, 1, 2, 3, 4].map((i) => cache.get(`key:${i}`, 60_000))).toEqual([
      undefined,
      undefined,
      2,
      3,
      4,
    ]);
  });
});
