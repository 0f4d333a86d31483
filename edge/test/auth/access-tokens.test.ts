import { describe, expect, test } from "bun:test";
import { users } from "@db/schema";
import { keyRing, signAccessToken, verifyAccessTokenCached } from "@edge/auth/access-tokens";
import { JwksSchema } from "@edge/routes/well-known";
import {
  base64url,
  forgeAccessToken,
  GENEROUS_AUTH_LIMITS,
  publicSigningJwk,
  signedInUser,
  tokenDefaults,
} from "@scripts/testing/auth-fixtures";
import { readBody, readError } from "@scripts/testing/responses";
import { sharedServices } from "@scripts/testing/shared-services";
import { startTestWorker, useTestWorker } from "@scripts/testing/test-worker";
import { eq } from "drizzle-orm";
import { exportJWK, generateKeyPair, SignJWT } from "jose";

const worker = useTestWorker({ vars: GENEROUS_AUTH_LIMITS });

async function me(token: string) {
  return worker.current.fetch("/v1/me", { headers: { Authorization: `Bearer ${token}` } });
}

async function expectRefused(token: string) {
  const response = await me(token);
  expect(response.status).toBe(401);
  expect(response.headers.get("www-authenticate")).toContain('error="invalid_token"');
  expect((await readError(response)).code).toBe("unauthorized");
}

const now = () => Math.floor(Date.now() / 1000);

describe("access tokens: happy path", () => {
  test("a token forged with every claim right is accepted (the probes below change one thing each)", async () => {
    const { user } = await signedInUser(worker.current);
    expect((await me(await forgeAccessToken({ claims: { sub: user.id } }))).status).toBe(200);
  });
});

describe("access tokens: refused", () => {
  let subject = "";
  const valid = async () => {
    if (!subject) subject = (await signedInUser(worker.current)).user.id;
    return subject;
  };

  test("expired", async () => {
    await expectRefused(
      await forgeAccessToken({ claims: { sub: await valid(), exp: now() - 60, iat: now() - 960 } }),
    );
  });

  test("not yet valid (nbf in the future)", async () => {
    await expectRefused(await forgeAccessToken({ claims: { sub: await valid(), nbf: now() + 300 } }));
  });

  test("wrong audience", async () => {
    await expectRefused(await forgeAccessToken({ claims: { sub: await valid(), aud: "another-api" } }));
  });

  test("wrong issuer", async () => {
    await expectRefused(
      await forgeAccessToken({ claims: { sub: await valid(), iss: "https://evil.example" } }),
    );
  });

  test("wrong typ (an ID token or a plain JWT)", async () => {
    await expectRefused(await forgeAccessToken({ claims: { sub: await valid() }, header: { typ: "JWT" } }));
  });

  test.each(["jti", "exp", "iat"])("missing %s", async (claim) => {
    await expectRefused(await forgeAccessToken({ claims: { sub: await valid() }, omit: [claim] }));
  });

  test("unknown kid", async () => {
    await expectRefused(
      await forgeAccessToken({ claims: { sub: await valid() }, header: { kid: "retired-key" } }),
    );
  });

  test("signed by a key that is not ours, claiming our kid", async () => {
    const { privateKey } = await generateKeyPair("ES256");
    const { kid } = await publicSigningJwk();
    const token = await new SignJWT({ jti: crypto.randomUUID() })
      .setProtectedHeader({ alg: "ES256", typ: "at+jwt", kid })
      .setIssuer(tokenDefaults.issuer)
      .setAudience(tokenDefaults.audience)
      .setSubject(await valid())
      .setIssuedAt()
      .setNotBefore("0s")
      .setExpirationTime("5m")
      .sign(privateKey);
    await expectRefused(token);
  });

  test('alg "none"', async () => {
    const header = base64url(
      JSON.stringify({ alg: "none", typ: "at+jwt", kid: (await publicSigningJwk()).kid }),
    );
    const payload = base64url(
      JSON.stringify({
        ...tokenDefaults,
        iss: tokenDefaults.issuer,
        sub: await valid(),
        iat: now(),
        nbf: now(),
        exp: now() + 600,
        jti: "x",
      }),
    );
    await expectRefused(`${header}.${payload}.`);
  });

  test("HS256 signed with the public key (algorithm confusion)", async () => {
    const jwk = await publicSigningJwk();
    const header = base64url(JSON.stringify({ alg: "HS256", typ: "at+jwt", kid: jwk.kid }));
    const payload = base64url(
      JSON.stringify({
        iss: tokenDefaults.issuer,
        aud: tokenDefaults.audience,
        sub: await valid(),
        iat: now(),
        nbf: now(),
        exp: now() + 600,
        jti: "x",
      }),
    );
    // An attacker knows the public key; a verifier that let the token pick its algorithm would
    // accept this HMAC keyed with it.
    const secret = new TextEncoder().encode(JSON.stringify(jwk));
    const key = await crypto.subtle.importKey("raw", secret, { name: "HMAC", hash: "SHA-256" }, false, [
      "sign",
    ]);
    const signature = new Uint8Array(
      await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(`${header}.${payload}`)),
    );
    await expectRefused(`${header}.${payload}.${base64url(signature)}`);
  });

  test("tampered payload", async () => {
    const token = await forgeAccessToken({ claims: { sub: await valid() } });
    const [header, payload, signature] = token.split(".");
    const claims = JSON.parse(Buffer.from(payload as string, "base64url").toString()) as Record<
      string,
      unknown
    >;
    const other = (await signedInUser(worker.current)).user.id;
    const tampered = base64url(JSON.stringify({ ...claims, sub: other }));
    await expectRefused(`${header}.${tampered}.${signature}`);
  });

  test("garbage", async () => {
    await expectRefused("not.a.jwt");
  });

  // Once used, a token's account is remembered by reads for AUTH_CACHE_SECONDS:
  // caller-cache.test.ts covers that bound.
  test("the token of a user who was disabled after it was issued", async () => {
    const { user, session } = await signedInUser(worker.current);
    await worker.current.db.update(users).set({ disabledAt: new Date() }).where(eq(users.id, user.id));
    await expectRefused(session.accessToken);
  });

  test("the token of a user who no longer exists", async () => {
    const { user, session } = await signedInUser(worker.current);
    await worker.current.db.delete(users).where(eq(users.id, user.id));
    await expectRefused(session.accessToken);
  });
});

describe("key rotation", () => {
  test("tokens signed by a retired-but-published key still verify; the new key signs", async () => {
    const { privateKey } = await generateKeyPair("ES256", { extractable: true });
    const fresh = { ...(await exportJWK(privateKey)), kid: "next-key", alg: "ES256" };
    const { jwtKeys } = await sharedServices();
    const old = (JSON.parse(jwtKeys) as { keys: Array<Record<string, string>> }).keys[0] as Record<
      string,
      string
    >;
    const { d: _private, ...oldPublic } = old;
    const rotated = await startTestWorker({
      vars: { JWT_KEYS: JSON.stringify({ keys: [fresh, oldPublic] }) },
    });
    try {
      const { user, session } = await signedInUser(rotated);
      expect(
        JSON.parse(Buffer.from(session.accessToken.split(".")[0] as string, "base64url").toString()).kid,
      ).toBe("next-key");
      const oldToken = await forgeAccessToken({ claims: { sub: user.id } });
      const response = await rotated.fetch("/v1/me", { headers: { Authorization: `Bearer ${oldToken}` } });
      expect(response.status).toBe(200);
      const jwks = await readBody(await rotated.fetch("/.well-known/jwks.json"), JwksSchema);
      expect(jwks.keys.map((k) => k.kid)).toEqual(["next-key", old.kid as string]);
    } finally {
      await rotated.dispose();
    }
  });
});

describe("verified tokens remembered per isolate", () => {
  const settings = { issuer: "iss-test", audience: "aud-test", ttlSeconds: 60 };

  async function ringOf(...kids: string[]) {
    const keys = [];
    for (const kid of kids) {
      const { privateKey } = await generateKeyPair("ES256", { extractable: true });
      keys.push({ ...(await exportJWK(privateKey)), kid });
    }
    return { keys, ring: await keyRing(JSON.stringify({ keys })) };
  }

  test("a remembered token still expires at exp (plus the clock tolerance)", async () => {
    const { ring } = await ringOf("k1");
    const { token } = await signAccessToken(ring, settings, "user-1");
    const issued = Date.now();
    expect((await verifyAccessTokenCached(ring, settings, token, new Date(issued))).sub).toBe("user-1");
    expect((await verifyAccessTokenCached(ring, settings, token, new Date(issued + 64_000))).sub).toBe(
      "user-1",
    );
    await expect(verifyAccessTokenCached(ring, settings, token, new Date(issued + 66_000))).rejects.toThrow();
  });

  test("other settings, or a ring without the signing key, verify again and refuse", async () => {
    const { keys, ring } = await ringOf("k1", "k2");
    const { token } = await signAccessToken(ring, settings, "user-1");
    await verifyAccessTokenCached(ring, settings, token);
    await expect(verifyAccessTokenCached(ring, { ...settings, audience: "other" }, token)).rejects.toThrow();
    const { d: _private, ...onlyOther } = keys[1] ?? {};
    const withoutSigner = await keyRing(JSON.stringify({ keys: [keys[1], onlyOther] }));
    await expect(verifyAccessTokenCached(withoutSigner, settings, token)).rejects.toThrow();
  });

  test("a changed byte is a different token, verified in full", async () => {
    const { ring } = await ringOf("k1");
    const { token } = await signAccessToken(ring, settings, "user-1");
    await verifyAccessTokenCached(ring, settings, token);
    const [header, payload, signature] = token.split(".");
    const claims = JSON.parse(Buffer.from(payload as string, "base64url").toString()) as Record<
      string,
      unknown
    >;
    const tampered = `${header}.${base64url(JSON.stringify({ ...claims, sub: "user-2" }))}.${signature}`;
    await expect(verifyAccessTokenCached(ring, settings, tampered)).rejects.toThrow();
  });
});
