import { describe, expect, test } from "bun:test";
import { registerUser, STRONG_PASSWORD, signedInUser } from "@scripts/testing/auth-fixtures";
import { readError } from "@scripts/testing/responses";
import { useTestWorker } from "@scripts/testing/test-worker";

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
