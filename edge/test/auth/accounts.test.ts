import { describe, expect, test } from "bun:test";
import { users } from "@db/schema";
import { userScopes } from "@edge/auth/scopes";
import { TokenPairSchema } from "@edge/routes/auth/schema";
import { MeSchema } from "@edge/routes/me";
import { UserSchema } from "@edge/routes/users-schema";
import { JwksSchema } from "@edge/routes/well-known";
import {
  GENEROUS_AUTH_LIMITS,
  login,
  registerUser,
  STRONG_PASSWORD,
  signedInUser,
  uniqueEmail,
} from "@scripts/testing/auth-fixtures";
import { expectError, readBody, readError } from "@scripts/testing/responses";
import { useTestWorker } from "@scripts/testing/test-worker";
import { eq } from "drizzle-orm";

const worker = useTestWorker({ vars: GENEROUS_AUTH_LIMITS });

const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  worker.current.fetch(path, {
    method: "POST",
    headers: { "Content-Type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });

describe("POST /v1/auth/register", () => {
  test("creates an account with a normalised email and an argon2id hash", async () => {
    const response = await post("/v1/auth/register", {
      email: "  Radiographer@Example.COM ",
      password: STRONG_PASSWORD,
    });
    const raw = await response.clone().text();
    const body = await readBody(response, UserSchema);
    expect(response.status).toBe(201);
    expect(body).toMatchObject({ email: "radiographer@example.com", role: "user", disabled: false });
    const [row] = await worker.current.db.select().from(users).where(eq(users.id, body.id));
    expect(row?.passwordHash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(raw).not.toContain("argon2");
  });

  test("the same email in another case is taken", async () => {
    const email = uniqueEmail("case");
    await registerUser(worker.current, { email });
    const response = await post("/v1/auth/register", {
      email: email.toUpperCase(),
      password: STRONG_PASSWORD,
    });
    await expectError(response, 409, "email_taken");
  });

  test.each([
    ["too short", "short-pass1"],
    ["a common password", "password1234"],
    ["containing the email", "inspector-jones-2024"],
  ])("refuses a password that is %s", async (_, password) => {
    const response = await post("/v1/auth/register", { email: "inspector-jones@example.com", password });
    await expectError(response, 400, "weak_password");
  });

  test("a local part of exactly 64 octets is accepted", async () => {
    const email = `${"a".repeat(56)}${crypto.randomUUID().slice(0, 8)}@example.com`;
    const response = await post("/v1/auth/register", { email, password: STRONG_PASSWORD });
    expect(response.status).toBe(201);
  });

  test("answers 400 malformed_json to a body that is not JSON", async () => {
    const response = await post("/v1/auth/register", "{not json");
    await expectError(response, 400, "malformed_json");
  });

  test.each([
    ["a bad email", { email: "not-an-email", password: STRONG_PASSWORD }],
    ["a missing password", { email: "a@example.com" }],
    ["an overlong password", { email: "a@example.com", password: "x".repeat(257) }],
    [
      "a local part over 64 octets (RFC 5321)",
      { email: `${"a".repeat(65)}@example.com`, password: STRONG_PASSWORD },
    ],
    [
      "an address over 254 octets",
      { email: `${"a".repeat(60)}@${"b".repeat(200)}.example.com`, password: STRONG_PASSWORD },
    ],
  ])("answers 400 validation_failed to %s", async (_, body) => {
    const response = await post("/v1/auth/register", body);
    await expectError(response, 400, "validation_failed");
  });
});

describe("POST /v1/auth/login", () => {
  test("returns an access token, a refresh token and the user", async () => {
    const user = await registerUser(worker.current);
    const response = await post("/v1/auth/login", { email: user.email, password: user.password });
    const body = await readBody(response, TokenPairSchema);
    expect(response.status).toBe(200);
    expect(body).toMatchObject({ tokenType: "Bearer", expiresIn: 900, user: { id: user.id } });
    expect(body.accessToken.split(".")).toHaveLength(3);
    expect(body.refreshToken).toMatch(/^[\w-]{43}$/);
  });

  test("unknown email and wrong password get identical answers", async () => {
    const user = await registerUser(worker.current);
    const unknown = await post("/v1/auth/login", { email: uniqueEmail("ghost"), password: STRONG_PASSWORD });
    const wrong = await post("/v1/auth/login", { email: user.email, password: `${STRONG_PASSWORD}-nope` });
    expect(unknown.status).toBe(401);
    expect(wrong.status).toBe(401);
    const strip = async (response: Response) => ({ ...(await readError(response)), requestId: undefined });
    expect(await strip(unknown)).toEqual(await strip(wrong));
  });

  test("a disabled account is refused even with the right password", async () => {
    const user = await registerUser(worker.current);
    await worker.current.db.update(users).set({ disabledAt: new Date() }).where(eq(users.id, user.id));
    const response = await post("/v1/auth/login", { email: user.email, password: user.password });
    await expectError(response, 403, "account_disabled");
  });

  test("a hash made with weaker parameters is upgraded on the next successful login", async () => {
    const user = await registerUser(worker.current);
    const [row] = await worker.current.db.select().from(users).where(eq(users.id, user.id));
    // Same password, hashed with t=1 (an older, cheaper setting) by hand.
    const { default: Argon2, Argon2Type } = await import("@phi-ag/argon2");
    const wasm = await WebAssembly.compile(
      await Bun.file(require.resolve("@phi-ag/argon2/argon2.wasm")).arrayBuffer(),
    );
    const argon2 = new Argon2(await WebAssembly.instantiate(wasm));
    const weak = argon2.hash(user.password, {
      timeCost: 1,
      memoryCost: 8192,
      parallelism: 1,
      type: Argon2Type.Argon2id,
    }).encoded;
    expect(row?.passwordHash).not.toBe(weak);
    await worker.current.db.update(users).set({ passwordHash: weak }).where(eq(users.id, user.id));

    await login(worker.current, user);
    const [upgraded] = await worker.current.db.select().from(users).where(eq(users.id, user.id));
    expect(upgraded?.passwordHash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    await login(worker.current, user);
  });
});

describe("GET /v1/me", () => {
  test("describes the signed-in caller and its scopes", async () => {
    const { user, auth } = await signedInUser(worker.current);
    const response = await worker.current.fetch("/v1/me", { headers: { Authorization: auth } });
    expect(response.status).toBe(200);
    const me = await readBody(response, MeSchema.strict());
    expect(me).toEqual({
      user: expect.objectContaining({ id: user.id, email: user.email, role: "user" }),
      authenticatedWith: "token",
      scopes: [...userScopes],
    });
    // The registry and training scopes by name: one dropped from the module's list fails here too.
    const registryScopes = [
      "datasets:read",
      "datasets:write",
      "trainings:read",
      "trainings:write",
      "models:read",
      "models:write",
    ];
    expect(me.scopes).toEqual(expect.arrayContaining(registryScopes));
    expect(me.scopes).not.toContain("admin");
  });

  test("without credentials: 401 with a Bearer challenge", async () => {
    const response = await worker.current.fetch("/v1/me");
    expect(response.status).toBe(401);
    expect(response.headers.get("www-authenticate")).toBe('Bearer realm="defect-detection"');
    expect((await readError(response)).code).toBe("unauthorized");
  });

  test("a non-Bearer scheme is an invalid request", async () => {
    const response = await worker.current.fetch("/v1/me", { headers: { Authorization: "Basic YTpi" } });
    expect(response.status).toBe(401);
    expect(response.headers.get("www-authenticate")).toContain('error="invalid_request"');
  });
});

describe("GET /.well-known/jwks.json", () => {
  test("publishes the public verification keys and nothing private", async () => {
    const response = await worker.current.fetch("/.well-known/jwks.json");
    const body = await readBody(response, JwksSchema);
    expect(response.status).toBe(200);
    expect(body.keys).toHaveLength(1);
    expect(body.keys[0]).toMatchObject({ kty: "EC", crv: "P-256", alg: "ES256", use: "sig" });
    expect(body.keys[0]?.kid).toBeString();
    expect(body.keys[0]).not.toHaveProperty("d");
  });
});
