import { describe, expect, test } from "bun:test";
import { LocalAllowance, leaseSize } from "@edge/middleware/rate-limit";
import {
  GENEROUS_AUTH_LIMITS,
  registerUser,
  STRONG_PASSWORD,
  signedInUser,
} from "@scripts/testing/auth-fixtures";
import { readError } from "@scripts/testing/responses";
import { startTestWorker, useTestWorker } from "@scripts/testing/test-worker";
import { gcra } from "@workers/rate-limiter/gcra";

const worker = useTestWorker({
  vars: {
    RATE_LIMIT_AUTH_IP: "8/60s",
    RATE_LIMIT_AUTH_ACCOUNT: "3/60s",
    RATE_LIMIT_READ: "5/60s",
    RATE_LIMIT_WRITE: "2/2s",
  },
});

const fromIp = (ip: string) => ({ "CF-Connecting-IP": ip, "Content-Type": "application/json" });

describe("rate limits", () => {
  test("limited routes advertise their policy and what is left", async () => {
    const { auth } = await signedInUser(worker.current);
    const response = await worker.current.fetch("/v1/me", { headers: { Authorization: auth } });
    expect(response.status).toBe(200);
    expect(response.headers.get("ratelimit-policy")).toBe('"read";q=5;w=60');
    expect(response.headers.get("ratelimit")).toMatch(/^"read";r=4;t=\d+$/);
  });

  test("M parallel requests against a limit of N: exactly N succeed, the rest get 429 + Retry-After", async () => {
    const { auth } = await signedInUser(worker.current);
    const responses = await Promise.all(
      Array.from({ length: 12 }, () => worker.current.fetch("/v1/me", { headers: { Authorization: auth } })),
    );
    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(5);
    expect(statuses.filter((s) => s === 429)).toHaveLength(7);
    const limited = responses.find((r) => r.status === 429) as Response;
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(limited.headers.get("ratelimit")).toMatch(/^"read";r=0;t=\d+$/);
    expect((await readError(limited)).code).toBe("rate_limited");
  });

  test("each caller has its own bucket", async () => {
    const first = await signedInUser(worker.current);
    const second = await signedInUser(worker.current);
    for (let i = 0; i < 5; i++)
      await worker.current.fetch("/v1/me", { headers: { Authorization: first.auth } });
    expect((await worker.current.fetch("/v1/me", { headers: { Authorization: first.auth } })).status).toBe(
      429,
    );
    expect((await worker.current.fetch("/v1/me", { headers: { Authorization: second.auth } })).status).toBe(
      200,
    );
  });

  test("limits reset after the window", async () => {
    const { auth } = await signedInUser(worker.current);
    const create = () =>
      worker.current.fetch("/v1/api-keys", {
        method: "POST",
        headers: { Authorization: auth, "Content-Type": "application/json" },
        body: JSON.stringify({ name: "k", scopes: ["jobs:read"] }),
      });
    expect((await create()).status).toBe(201);
    expect((await create()).status).toBe(201);
    expect((await create()).status).toBe(429);
    await Bun.sleep(2100);
    expect((await create()).status).toBe(201);
  });

  test("brute-forcing one account's password is stopped, even from many addresses", async () => {
    const user = await registerUser(worker.current);
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) {
      const response = await worker.current.fetch("/v1/auth/login", {
        method: "POST",
        headers: fromIp(`198.51.100.${i + 1}`),
        body: JSON.stringify({ email: user.email, password: `wrong-password-${i}` }),
      });
      statuses.push(response.status);
    }
    expect(statuses).toEqual([401, 401, 401, 429, 429]);
    const honest = await worker.current.fetch("/v1/auth/login", {
      method: "POST",
      headers: fromIp("198.51.100.99"),
      body: JSON.stringify({ email: user.email, password: STRONG_PASSWORD }),
    });
    expect(honest.status).toBe(429);
  });

  test("one address hammering the auth endpoints is stopped across accounts", async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 10; i++) {
      const response = await worker.current.fetch("/v1/auth/login", {
        method: "POST",
        headers: fromIp("203.0.113.7"),
        body: JSON.stringify({ email: `victim-${i}@example.com`, password: STRONG_PASSWORD }),
      });
      statuses.push(response.status);
    }
    expect(statuses.filter((s) => s === 401)).toHaveLength(8);
    expect(statuses.slice(8)).toEqual([429, 429]);
  });
});

/**
 * Per-isolate leases (RATE_LIMIT_LEASE_MS): several isolates, each with its own LocalAllowance,
 * share one simulated limiter object on a simulated clock.
 */
describe("rate limits across isolates: leases", () => {
  const setting = { limit: 600, periodMs: 60_000 };
  const leaseMs = 1000;

  function sharedLimiter(now: () => number) {
    let tat: number | undefined;
    let calls = 0;
    return {
      calls: () => calls,
      take: async (limit: typeof setting, want: number) => {
        calls++;
        const decision = gcra(tat, now(), limit, want);
        tat = decision.tat;
        return decision;
      },
    };
  }

  test("lease size: a second of the rate, at most 1/32 of the limit; small limits stay exact", () => {
    expect(leaseSize({ limit: 600, periodMs: 60_000 }, 1000)).toBe(10);
    expect(leaseSize({ limit: 100_000_000, periodMs: 1000 }, 1000)).toBe(3_125_000);
    expect(leaseSize({ limit: 5, periodMs: 60_000 }, 1000)).toBe(1);
    expect(leaseSize({ limit: 20, periodMs: 60_000 }, 60_000)).toBe(1);
    expect(leaseSize({ limit: 600, periodMs: 60_000 }, 0)).toBe(1);
  });

  test("one isolate admits exactly the limit, asking the limiter once per lease", async () => {
    let now = 0;
    const limiter = sharedLimiter(() => now);
    const isolate = new LocalAllowance(() => now);
    let admitted = 0;
    for (let i = 0; i < 700; i++) {
      const decision = await isolate.decide("read:user:a", setting, leaseMs, (want) =>
        limiter.take(setting, want),
      );
      if (decision.allowed) admitted++;
    }
    expect(admitted).toBe(600);
    // About one call per lease of 10 (early refills near the end get what is left, then a
    // refusal is remembered for the rest).
    expect(limiter.calls()).toBeGreaterThanOrEqual(60);
    expect(limiter.calls()).toBeLessThanOrEqual(64);
    now += 100;
    expect(
      (await isolate.decide("read:user:a", setting, leaseMs, (want) => limiter.take(setting, want))).allowed,
    ).toBe(true);
  });

  test("many isolates over a long run never admit more than limit + rate × time + one lease", async () => {
    let now = 0;
    const limiter = sharedLimiter(() => now);
    const isolates = Array.from({ length: 8 }, () => new LocalAllowance(() => now));
    const admittedAt: number[] = [];
    // 30 requests a second (three times the rate) spread over the isolates, for five periods.
    for (let i = 0; i < 9000; i++) {
      now = Math.floor(i * (1000 / 30));
      const isolate = isolates[(i * 7) % isolates.length] as LocalAllowance;
      const decision = await isolate.decide("read:key:k", setting, leaseMs, (want) =>
        limiter.take(setting, want),
      );
      if (decision.allowed) admittedAt.push(now);
    }
    const lease = leaseSize(setting, leaseMs);
    const perMs = setting.limit / setting.periodMs;
    for (const windowMs of [1000, 10_000, 60_000, 120_000]) {
      for (let start = 0; start < now; start += 997) {
        const inWindow = admittedAt.filter((t) => t >= start && t < start + windowMs).length;
        expect(inWindow).toBeLessThanOrEqual(setting.limit + perMs * windowMs + lease);
      }
    }
    // Leftovers of expired leases are lost, never more than a lease per isolate and lease time.
    const sustained = admittedAt.filter((t) => t >= 60_000).length;
    expect(sustained).toBeGreaterThanOrEqual(perMs * (now - 60_000) * 0.5);
  });

  test("concurrent requests in one isolate share one limiter call", async () => {
    const limiter = sharedLimiter(Date.now);
    const isolate = new LocalAllowance();
    const decisions = await Promise.all(
      Array.from({ length: 64 }, () =>
        isolate.decide("read:user:b", setting, leaseMs, (want) => limiter.take(setting, want)),
      ),
    );
    expect(decisions.every((d) => d.allowed)).toBe(true);
    expect(limiter.calls()).toBeLessThanOrEqual(Math.ceil(64 / leaseSize(setting, leaseMs)) + 1);
  });

  test("a busy isolate asks for its next lease early: no request waits for the limiter", async () => {
    const limiter = sharedLimiter(Date.now);
    const isolate = new LocalAllowance();
    let release: () => void = () => {};
    let held = false;
    const background: Promise<unknown>[] = [];
    const take = async (want: number) => {
      if (held) await new Promise<void>((resolve) => (release = resolve));
      return limiter.take(setting, want);
    };
    const decide = () =>
      isolate.decide("read:user:d", setting, leaseMs, take, (work) => background.push(work));
    expect((await decide()).allowed).toBe(true);
    held = true;
    // The rest of the first lease of 10 is served from memory while the refill is under way.
    for (let i = 1; i < 10; i++) expect((await decide()).allowed).toBe(true);
    expect(background).toHaveLength(1);
    release();
    await Promise.all(background);
    held = false;
    expect((await decide()).allowed).toBe(true);
    expect(limiter.calls()).toBe(2);
  });

  test("a refusal is remembered until Retry-After, then the limiter is asked again", async () => {
    let now = 0;
    const small = { limit: 2, periodMs: 2000 };
    const limiter = sharedLimiter(() => now);
    const isolate = new LocalAllowance(() => now);
    const decide = () => isolate.decide("write:user:c", small, leaseMs, (want) => limiter.take(small, want));
    expect((await decide()).allowed).toBe(true);
    expect((await decide()).allowed).toBe(true);
    const refused = await decide();
    expect(refused).toMatchObject({ allowed: false, retryAfterMs: 1000 });
    now += 999;
    expect(await decide()).toMatchObject({ allowed: false, retryAfterMs: 1 });
    expect(limiter.calls()).toBe(3);
    now += 1;
    expect((await decide()).allowed).toBe(true);
    expect(limiter.calls()).toBe(4);
  });
});

describe("rate limits with leases, in workerd", () => {
  test("a caller gets the configured quota, not more, when requests are decided from leases", async () => {
    const leased = await startTestWorker({
      vars: { ...GENEROUS_AUTH_LIMITS, RATE_LIMIT_READ: "320/3600s", RATE_LIMIT_LEASE_MS: "60000" },
    });
    try {
      const { auth } = await signedInUser(leased);
      const statuses: number[] = [];
      for (let batch = 0; batch < 6; batch++) {
        const responses = await Promise.all(
          Array.from({ length: 64 }, () => leased.fetch("/v1/me", { headers: { Authorization: auth } })),
        );
        statuses.push(...responses.map((r) => r.status));
      }
      // 320 at once, plus what refills while the test runs (one request per 11.25 s).
      const ok = statuses.filter((s) => s === 200).length;
      expect(ok).toBeGreaterThanOrEqual(320);
      expect(ok).toBeLessThanOrEqual(322);
      expect(statuses.filter((s) => s !== 200 && s !== 429)).toEqual([]);
    } finally {
      await leased.dispose();
    }
  }, 120_000);
});
