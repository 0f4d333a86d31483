import { users } from "@db/schema";
import { CreatedApiKeySchema } from "@edge/routes/api-keys/schema";
import { TokenPairSchema } from "@edge/routes/auth/schema";
import { UserSchema } from "@edge/routes/users-schema";
import { eq } from "drizzle-orm";
import { importJWK, type JWTPayload, SignJWT } from "jose";
import type { z } from "zod";
import { readBody } from "./responses";
import { sharedServices } from "./shared-services";
import type { TestWorker } from "./test-worker";

export const STRONG_PASSWORD = "weld-seam-radiograph-7731";

/** Worker vars for files that sign many users in but do not test the auth limits themselves. */
export const GENEROUS_AUTH_LIMITS = { RATE_LIMIT_AUTH_IP: "1000/60s", RATE_LIMIT_AUTH_ACCOUNT: "1000/60s" };

export type TestUser = { id: string; email: string; password: string };
export type Session = z.infer<typeof TokenPairSchema>;

/**
 * A fresh client address per fixture call, so arranging users never eats into the per-address
 * auth limit that a test is measuring (Cloudflare sets this header; clients cannot).
 */
function fixtureClient(): Record<string, string> {
  const octet = () => Math.floor(Math.random() * 254) + 1;
  return { "Content-Type": "application/json", "CF-Connecting-IP": `10.${octet()}.${octet()}.${octet()}` };
}

let counter = 0;
/** A unique address per call, so tests in one file never collide. */
export function uniqueEmail(label = "user"): string {
  counter += 1;
  return `${label}-${counter}-${crypto.randomUUID().slice(0, 8)}@example.com`;
}

/** An edge to call: a test Worker, or any running edge (the local stack) by its origin. */
export type EdgeUnderTest = Pick<TestWorker, "fetch"> & { db?: TestWorker["db"] };

/** An edge at `origin` (e.g. `npm run dev`'s), called like a test Worker. */
export function edgeAt(origin: string): EdgeUnderTest {
  return { fetch: (path, init) => fetch(new URL(path, origin), init) };
}

export async function registerUser(
  worker: EdgeUnderTest,
  options: { email?: string; password?: string; role?: "user" | "admin" } = {},
): Promise<TestUser> {
  const email = options.email ?? uniqueEmail();
  const password = options.password ?? STRONG_PASSWORD;
  const response = await worker.fetch("/v1/auth/register", {
    method: "POST",
    headers: fixtureClient(),
    body: JSON.stringify({ email, password }),
  });
  if (response.status !== 201)
    throw new Error(`register failed: ${response.status} ${await response.text()}`);
  const { id } = await readBody(response, UserSchema);
  if (options.role === "admin") {
    if (!worker.db) throw new Error("making an admin needs the test Worker's database");
    await worker.db.update(users).set({ role: "admin" }).where(eq(users.id, id));
  }
  return { id, email, password };
}

export async function login(
  worker: EdgeUnderTest,
  user: { email: string; password: string },
): Promise<Session> {
  const response = await worker.fetch("/v1/auth/login", {
    method: "POST",
    headers: fixtureClient(),
    body: JSON.stringify({ email: user.email, password: user.password }),
  });
  if (response.status !== 200) throw new Error(`login failed: ${response.status} ${await response.text()}`);
  return readBody(response, TokenPairSchema);
}

/** Registers and signs in a new user; returns the user and an `Authorization` header value. */
export async function signedInUser(worker: EdgeUnderTest, options: { role?: "user" | "admin" } = {}) {
  const user = await registerUser(worker, options);
  const session = await login(worker, user);
  return { user, session, auth: `Bearer ${session.accessToken}` };
}

export async function createApiKey(worker: TestWorker, auth: string, scopes: string[], name = "scanner") {
  const response = await worker.fetch("/v1/api-keys", {
    method: "POST",
    headers: { Authorization: auth, "Content-Type": "application/json" },
    body: JSON.stringify({ name, scopes }),
  });
  if (response.status !== 201) throw new Error(`api key failed: ${response.status} ${await response.text()}`);
  return readBody(response, CreatedApiKeySchema);
}

export const tokenDefaults = { issuer: "defect-detection", audience: "defect-detection-api" };

/**
 * Signs an access token with this run's real signing key, with any header or claim changed,
 * to probe exactly one rule of the verifier at a time.
 */
export async function forgeAccessToken(
  options: { claims?: JWTPayload; header?: Record<string, unknown>; omit?: string[] } = {},
): Promise<string> {
  const { jwtKeys } = await sharedServices();
  const [jwk] = (JSON.parse(jwtKeys) as { keys: Array<Record<string, string>> }).keys;
  if (!jwk) throw new Error("no key");
  const key = await importJWK(jwk, "ES256");
  const now = Math.floor(Date.now() / 1000);
  const claims: JWTPayload = {
    iss: tokenDefaults.issuer,
    aud: tokenDefaults.audience,
    iat: now,
    nbf: now,
    exp: now + 600,
    jti: crypto.randomUUID(),
    ...options.claims,
  };
  for (const name of options.omit ?? []) delete claims[name];
  return new SignJWT(claims)
    .setProtectedHeader({ alg: "ES256", typ: "at+jwt", kid: jwk.kid, ...options.header } as never)
    .sign(key);
}

export const base64url = (value: string | Uint8Array) =>
  Buffer.from(value).toString("base64").replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");

/** The public half of this run's signing key, as an attacker would fetch it from the JWKS. */
export async function publicSigningJwk(): Promise<Record<string, string>> {
  const { jwtKeys } = await sharedServices();
  const [jwk] = (JSON.parse(jwtKeys) as { keys: Array<Record<string, string>> }).keys;
  if (!jwk) throw new Error("no key");
  const { d: _private, ...publicPart } = jwk;
  return publicPart;
}
