import { describe, expect, test } from "bun:test";
import { refreshTokens, users } from "@db/schema";
import { TokenPairSchema } from "@edge/routes/auth/schema";
import { GENEROUS_AUTH_LIMITS, signedInUser } from "@scripts/testing/auth-fixtures";
import { expectError, readBody } from "@scripts/testing/responses";
import { useTestWorker } from "@scripts/testing/test-worker";
import { eq } from "drizzle-orm";

const worker = useTestWorker({ vars: GENEROUS_AUTH_LIMITS });

const post = (path: string, body: unknown) =>
  worker.current.fetch(path, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });

const refresh = (refreshToken: string) => post("/v1/auth/refresh", { refreshToken });

describe("POST /v1/auth/refresh", () => {
  test("rotates: returns a new pair, and the new access token works", async () => {
    const { session } = await signedInUser(worker.current);
    const response = await refresh(session.refreshToken);
    const next = await readBody(response, TokenPairSchema);
    expect(response.status).toBe(200);
    expect(next.refreshToken).not.toBe(session.refreshToken);
    const me = await worker.current.fetch("/v1/me", {
      headers: { Authorization: `Bearer ${next.accessToken}` },
    });
    expect(me.status).toBe(200);
  });

  test("stores only hashes of refresh tokens", async () => {
    const { user, session } = await signedInUser(worker.current);
    const rows = await worker.current.db
      .select()
      .from(refreshTokens)
      .where(eq(refreshTokens.userId, user.id));
    expect(rows).toHaveLength(1);
    expect(rows[0]?.tokenHash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(rows)).not.toContain(session.refreshToken);
  });

  test("reusing a rotated token revokes the whole family, including the token that replaced it", async () => {
    const { session } = await signedInUser(worker.current);
    const second = await readBody(await refresh(session.refreshToken), TokenPairSchema);
    const third = await readBody(await refresh(second.refreshToken), TokenPairSchema);

    const replay = await refresh(session.refreshToken);
    expect(replay.status).toBe(401);
    // The legitimate holder's newest token is dead too: the thief and the victim both sign in again.
    expect((await refresh(third.refreshToken)).status).toBe(401);
  });

  test("concurrent uses of one token: exactly one wins, and the family, its new token included, is revoked", async () => {
    const { session } = await signedInUser(worker.current);
    const results = await Promise.all(Array.from({ length: 5 }, () => refresh(session.refreshToken)));
    const statuses = results.map((r) => r.status).sort();
    expect(statuses).toEqual([200, 401, 401, 401, 401]);
    const winner = await readBody(results.find((r) => r.status === 200) as Response, TokenPairSchema);
    expect((await refresh(winner.refreshToken)).status).toBe(401);
  });

  test("an expired refresh token is refused", async () => {
    const { user, session } = await signedInUser(worker.current);
    await worker.current.db
      .update(refreshTokens)
      .set({ expiresAt: new Date(Date.now() - 1000) })
      .where(eq(refreshTokens.userId, user.id));
    expect((await refresh(session.refreshToken)).status).toBe(401);
  });

  test("an unknown token is refused without side effects", async () => {
    const response = await refresh("A".repeat(43));
    await expectError(response, 401, "unauthorized");
  });

  test("a disabled user cannot refresh", async () => {
    const { user, session } = await signedInUser(worker.current);
    await worker.current.db.update(users).set({ disabledAt: new Date() }).where(eq(users.id, user.id));
    expect((await refresh(session.refreshToken)).status).toBe(401);
  });
});

describe("POST /v1/auth/logout", () => {
  test("revokes the sign-in: its refresh tokens stop working", async () => {
    const { session } = await signedInUser(worker.current);
    const next = await readBody(await refresh(session.refreshToken), TokenPairSchema);
    const response = await post("/v1/auth/logout", { refreshToken: next.refreshToken });
    expect(response.status).toBe(204);
    expect((await refresh(next.refreshToken)).status).toBe(401);
  });

  test("leaves the user's other sign-ins alone", async () => {
    const { user, session } = await signedInUser(worker.current);
    const other = await readBody(
      await post("/v1/auth/login", { email: user.email, password: user.password }),
      TokenPairSchema,
    );
    await post("/v1/auth/logout", { refreshToken: session.refreshToken });
    expect((await refresh(other.refreshToken)).status).toBe(200);
  });

  test("an unknown token still answers 204 (nothing to reveal)", async () => {
    expect((await post("/v1/auth/logout", { refreshToken: "nope" })).status).toBe(204);
  });
});
