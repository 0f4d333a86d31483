import { describe, expect, test } from "bun:test";
import { apiKeys, users } from "@db/schema";
import { ApiKeyListSchema } from "@edge/routes/api-keys/schema";
import { MeSchema } from "@edge/routes/me";
import { UserPageSchema, UserSchema } from "@edge/routes/users-schema";
import { createApiKey, GENEROUS_AUTH_LIMITS, signedInUser } from "@scripts/testing/auth-fixtures";
import { expectError, readBody } from "@scripts/testing/responses";
import { useTestWorker } from "@scripts/testing/test-worker";
import { eq } from "drizzle-orm";

const worker = useTestWorker({ vars: GENEROUS_AUTH_LIMITS });

const me = (credential: string) =>
  worker.current.fetch("/v1/me", { headers: { Authorization: `Bearer ${credential}` } });

describe("API keys: happy path", () => {
  test("a created key is shown once, authenticates with its scopes, and is listed without its secret", async () => {
    const { auth } = await signedInUser(worker.current);
    const created = await createApiKey(worker.current, auth, ["images:write", "jobs:read"], "line-3 scanner");
    expect(created.key).toMatch(/^ddk_[\w-]{43}$/);
    expect(created.key.startsWith(created.apiKey.prefix)).toBe(true);

    const response = await me(created.key);
    expect(response.status).toBe(200);
    expect(await readBody(response, MeSchema)).toMatchObject({
      authenticatedWith: "api_key",
      scopes: ["images:write", "jobs:read"],
    });

    const list = await worker.current.fetch("/v1/api-keys", { headers: { Authorization: auth } });
    const raw = await list.clone().text();
    const body = await readBody(list, ApiKeyListSchema);
    expect(body.items).toHaveLength(1);
    expect(body.items[0]).toMatchObject({
      name: "line-3 scanner",
      prefix: created.apiKey.prefix,
      revokedAt: null,
    });
    expect(raw).not.toContain(created.key);

    const [row] = await worker.current.db.select().from(apiKeys).where(eq(apiKeys.id, created.apiKey.id));
    expect(row?.keyHash).toMatch(/^[0-9a-f]{64}$/);
    expect(row?.lastUsedAt).not.toBeNull();
  });
});

describe("API keys: refused", () => {
  test("a revoked key stops working at once", async () => {
    const { auth } = await signedInUser(worker.current);
    const created = await createApiKey(worker.current, auth, ["jobs:read"]);
    expect((await me(created.key)).status).toBe(200);
    const revoke = await worker.current.fetch(`/v1/api-keys/${created.apiKey.id}`, {
      method: "DELETE",
      headers: { Authorization: auth },
    });
    expect(revoke.status).toBe(204);
    expect((await me(created.key)).status).toBe(401);
  });

  test("an expired key is refused", async () => {
    const { auth } = await signedInUser(worker.current);
    const created = await createApiKey(worker.current, auth, ["jobs:read"]);
    await worker.current.db
      .update(apiKeys)
      .set({ expiresAt: new Date(Date.now() - 1000) })
      .where(eq(apiKeys.id, created.apiKey.id));
    expect((await me(created.key)).status).toBe(401);
  });

  test("a made-up key with the right prefix is refused", async () => {
    expect((await me(`ddk_${"x".repeat(43)}`)).status).toBe(401);
  });

  test("the key of a disabled user is refused", async () => {
    const { user, auth } = await signedInUser(worker.current);
    const created = await createApiKey(worker.current, auth, ["jobs:read"]);
    await worker.current.db.update(users).set({ disabledAt: new Date() }).where(eq(users.id, user.id));
    expect((await me(created.key)).status).toBe(401);
  });

  test("a key without the admin scope cannot reach admin routes (wrong scope → 403)", async () => {
    const { auth } = await signedInUser(worker.current, { role: "admin" });
    const created = await createApiKey(worker.current, auth, ["jobs:read"]);
    const response = await worker.current.fetch("/v1/admin/users", {
      headers: { Authorization: `Bearer ${created.key}` },
    });
    await expectError(response, 403, "insufficient_scope");
  });

  test("a key cannot create more keys", async () => {
    const { auth } = await signedInUser(worker.current);
    const created = await createApiKey(worker.current, auth, ["images:write"]);
    const response = await worker.current.fetch("/v1/api-keys", {
      method: "POST",
      headers: { Authorization: `Bearer ${created.key}`, "Content-Type": "application/json" },
      body: JSON.stringify({ name: "escalate", scopes: ["images:write"] }),
    });
    await expectError(response, 403, "forbidden");
  });

  test("a user cannot grant the admin scope", async () => {
    const { auth } = await signedInUser(worker.current);
    const response = await worker.current.fetch("/v1/api-keys", {
      method: "POST",
      headers: { Authorization: auth, "Content-Type": "application/json" },
      body: JSON.stringify({ name: "escalate", scopes: ["admin"] }),
    });
    await expectError(response, 403, "insufficient_scope");
  });

  test("an unknown scope is a validation error", async () => {
    const { auth } = await signedInUser(worker.current);
    const response = await worker.current.fetch("/v1/api-keys", {
      method: "POST",
      headers: { Authorization: auth, "Content-Type": "application/json" },
      body: JSON.stringify({ name: "x", scopes: ["everything"] }),
    });
    await expectError(response, 400, "validation_failed");
  });

  test("another user's key cannot be revoked or seen (404, not 403)", async () => {
    const owner = await signedInUser(worker.current);
    const other = await signedInUser(worker.current);
    const created = await createApiKey(worker.current, owner.auth, ["jobs:read"]);
    const response = await worker.current.fetch(`/v1/api-keys/${created.apiKey.id}`, {
      method: "DELETE",
      headers: { Authorization: other.auth },
    });
    expect(response.status).toBe(404);
    const list = await readBody(
      await worker.current.fetch("/v1/api-keys", { headers: { Authorization: other.auth } }),
      ApiKeyListSchema,
    );
    expect(list.items).toEqual([]);
    expect((await me(created.key)).status).toBe(200);
  });
});

describe("admin: users", () => {
  test("an admin lists users page by page", async () => {
    const admin = await signedInUser(worker.current, { role: "admin" });
    await signedInUser(worker.current);
    const first = await worker.current.fetch("/v1/admin/users?limit=1", {
      headers: { Authorization: admin.auth },
    });
    const page = await readBody(first, UserPageSchema);
    expect(first.status).toBe(200);
    expect(page.items).toHaveLength(1);
    expect(page.nextCursor).toBe(page.items[0]?.id as string);
    const second = await readBody(
      await worker.current.fetch(`/v1/admin/users?limit=1&cursor=${page.nextCursor}`, {
        headers: { Authorization: admin.auth },
      }),
      UserPageSchema,
    );
    expect(String(second.items[0]?.id) < String(page.items[0]?.id)).toBe(true);
  });

  test("disabling a user stops their tokens and keys at once; enabling lets them back", async () => {
    const admin = await signedInUser(worker.current, { role: "admin" });
    const target = await signedInUser(worker.current);
    const key = await createApiKey(worker.current, target.auth, ["jobs:read"]);
    const disable = await worker.current.fetch(`/v1/admin/users/${target.user.id}/disable`, {
      method: "POST",
      headers: { Authorization: admin.auth },
    });
    expect(disable.status).toBe(200);
    expect(await readBody(disable, UserSchema)).toMatchObject({ id: target.user.id, disabled: true });
    expect((await me(target.session.accessToken)).status).toBe(401);
    expect((await me(key.key)).status).toBe(401);

    const enable = await worker.current.fetch(`/v1/admin/users/${target.user.id}/enable`, {
      method: "POST",
      headers: { Authorization: admin.auth },
    });
    expect(enable.status).toBe(200);
    expect((await me(key.key)).status).toBe(200);
  });

  test("a regular user gets 403 on admin routes", async () => {
    const { auth } = await signedInUser(worker.current);
    const response = await worker.current.fetch("/v1/admin/users", { headers: { Authorization: auth } });
    expect(response.status).toBe(403);
  });

  test("an admin cannot disable themselves, and an unknown user is 404", async () => {
    const admin = await signedInUser(worker.current, { role: "admin" });
    const self = await worker.current.fetch(`/v1/admin/users/${admin.user.id}/disable`, {
      method: "POST",
      headers: { Authorization: admin.auth },
    });
    expect(self.status).toBe(409);
    const missing = await worker.current.fetch(`/v1/admin/users/${crypto.randomUUID()}/disable`, {
      method: "POST",
      headers: { Authorization: admin.auth },
    });
    expect(missing.status).toBe(404);
  });
});
