import { type CryptoKey, exportJWK, importJWK, type JWK, type JWTPayload, jwtVerify, SignJWT } from "jose";
import { z } from "zod";

/** The one signing algorithm; verification accepts nothing else (RFC 8725 §3.1). */
export const ACCESS_TOKEN_ALG = "ES256";
/** Explicit type of access tokens (RFC 9068), so no other JWT can be replayed as one. */
export const ACCESS_TOKEN_TYP = "at+jwt";

const JwkSchema = z.looseObject({
  kty: z.literal("EC"),
  crv: z.literal("P-256"),
  kid: z.string().min(1),
  x: z.string(),
  y: z.string(),
  d: z.string().optional(),
});

/**
 * `JWT_KEYS`: a JWK set. The first key signs and must be private; every key listed verifies.
 * Rotation: put the new key first, keep the old one (its public part suffices) until the
 * longest access-token lifetime has passed, then drop it.
 */
export const JwtKeySetSchema = z.object({ keys: z.array(JwkSchema).min(1) }).refine((set) => set.keys[0]?.d, {
  message: "the first key signs and must include its private part (d)",
});

export type KeyRing = {
  signingKid: string;
  signingKey: CryptoKey;
  verifyKeys: Map<string, CryptoKey>;
  /** Public JWKs for /.well-known/jwks.json. */
  publicJwks: JWK[];
};

const rings = new Map<string, Promise<KeyRing>>();

/** Imports the key set once per isolate and per value, not on every request. */
export function keyRing(rawKeys: string): Promise<KeyRing> {
  let ring = rings.get(rawKeys);
  if (!ring) {
    ring = importKeyRing(rawKeys);
    rings.set(rawKeys, ring);
    ring.catch(() => rings.delete(rawKeys));
  }
  return ring;
}

async function importKeyRing(rawKeys: string): Promise<KeyRing> {
  const set = JwtKeySetSchema.parse(JSON.parse(rawKeys));
  const [first] = set.keys;
  if (!first) throw new Error("JWT_KEYS has no keys");
  const verifyKeys = new Map<string, CryptoKey>();
  const publicJwks: JWK[] = [];
  for (const { d: _private, ...publicPart } of set.keys) {
    const key = (await importJWK({ ...publicPart, alg: ACCESS_TOKEN_ALG }, ACCESS_TOKEN_ALG)) as CryptoKey;
    verifyKeys.set(publicPart.kid, key);
    publicJwks.push({ ...(await exportJWK(key)), kid: publicPart.kid, alg: ACCESS_TOKEN_ALG, use: "sig" });
  }
  const signingKey = (await importJWK({ ...first, alg: ACCESS_TOKEN_ALG }, ACCESS_TOKEN_ALG)) as CryptoKey;
  return { signingKid: first.kid, signingKey, verifyKeys, publicJwks };
}

export type TokenSettings = { issuer: string; audience: string; ttlSeconds: number };

export async function signAccessToken(
  ring: KeyRing,
  settings: TokenSettings,
  subject: string,
): Promise<{ token: string; expiresIn: number }> {
  const token = await new SignJWT({})
    .setProtectedHeader({ alg: ACCESS_TOKEN_ALG, typ: ACCESS_TOKEN_TYP, kid: ring.signingKid })
    .setIssuer(settings.issuer)
    .setAudience(settings.audience)
    .setSubject(subject)
    .setIssuedAt()
    .setNotBefore("0s")
    .setExpirationTime(`${settings.ttlSeconds}s`)
    .setJti(crypto.randomUUID())
    .sign(ring.signingKey);
  return { token, expiresIn: settings.ttlSeconds };
}

/**
 * Verifies signature, algorithm, `typ`, `kid`, issuer, audience and time claims. Throws on
 * anything short of a fully valid token.
 */
export async function verifyAccessToken(
  ring: KeyRing,
  settings: TokenSettings,
  token: string,
  now = new Date(),
): Promise<VerifiedPayload> {
  const { payload } = await jwtVerify(
    token,
    (header) => {
      const key = header.kid ? ring.verifyKeys.get(header.kid) : undefined;
      if (!key) throw new Error("unknown key id");
      return key;
    },
    {
      algorithms: [ACCESS_TOKEN_ALG],
      typ: ACCESS_TOKEN_TYP,
      issuer: settings.issuer,
      audience: settings.audience,
      requiredClaims: ["sub", "exp", "iat", "nbf", "jti"],
      clockTolerance: CLOCK_TOLERANCE_SECONDS,
      currentDate: now,
    },
  );
  return payload as VerifiedPayload;
}

type VerifiedPayload = JWTPayload & { sub: string; exp: number; nbf: number };

/** Leeway for clock skew between the signer and this isolate, on `exp` and `nbf`. */
const CLOCK_TOLERANCE_SECONDS = 5;
/** Verified tokens one isolate remembers per key ring (a few KiB each at most); oldest go first. */
const MAX_VERIFIED_TOKENS = 4096;
const verifiedTokens = new WeakMap<KeyRing, Map<string, { payload: VerifiedPayload; settings: string }>>();

/**
 * `verifyAccessToken` for a token this isolate may have seen: a token string whose signature,
 * header and claims were verified with the same ring and settings is not verified again, but its
 * time claims are checked on every use, so it still expires at `exp`. A different string (any
 * byte changed) is a different token and is verified in full; dropping a key makes a new ring.
 */
export async function verifyAccessTokenCached(
  ring: KeyRing,
  settings: TokenSettings,
  token: string,
  now = new Date(),
): Promise<VerifiedPayload> {
  let seen = verifiedTokens.get(ring);
  if (!seen) {
    seen = new Map();
    verifiedTokens.set(ring, seen);
  }
  const key = `${settings.issuer}\n${settings.audience}`;
  const hit = seen.get(token);
  const nowSeconds = Math.floor(now.getTime() / 1000);
  if (
    hit?.settings === key &&
    hit.payload.exp > nowSeconds - CLOCK_TOLERANCE_SECONDS &&
    hit.payload.nbf <= nowSeconds + CLOCK_TOLERANCE_SECONDS
  ) {
    return hit.payload;
  }
  seen.delete(token);
  const payload = await verifyAccessToken(ring, settings, token, now);
  if (seen.size >= MAX_VERIFIED_TOKENS) {
    const oldest = seen.keys().next();
    if (!oldest.done) seen.delete(oldest.value);
  }
  seen.set(token, { payload, settings: key });
  return payload;
}
