import type { Db, Tx } from "@db/client-worker";
import { refreshTokens } from "@db/schema";
import { and, eq, isNull, sql } from "drizzle-orm";
import type { Config } from "../config";
import { keyRing, signAccessToken } from "./access-tokens";
import { callers } from "./caller-cache";
import { randomToken, sha256Hex } from "./secrets";

export type TokenPair = {
  accessToken: string;
  tokenType: "Bearer";
  expiresIn: number;
  refreshToken: string;
  refreshTokenExpiresAt: string;
};

const refreshExpiry = (config: Config) => new Date(Date.now() + config.REFRESH_TOKEN_TTL_DAYS * 86_400_000);

/** Signs in: a new refresh-token family with its first token, and an access token. */
export async function issueTokens(db: Db, config: Config, userId: string): Promise<TokenPair> {
  const refreshToken = randomToken(32);
  const expiresAt = refreshExpiry(config);
  await db
    .insert(refreshTokens)
    .values({ userId, familyId: crypto.randomUUID(), tokenHash: await sha256Hex(refreshToken), expiresAt });
  return tokenPair(config, userId, refreshToken, expiresAt);
}

/** The response body for a refresh token and a freshly signed access token. */
export async function tokenPair(
  config: Config,
  userId: string,
  refreshToken: string,
  expiresAt: Date,
): Promise<TokenPair> {
  const { token, expiresIn } = await signAccessToken(
    await keyRing(config.JWT_KEYS),
    { issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE, ttlSeconds: config.ACCESS_TOKEN_TTL_SECONDS },
    userId,
  );
  return {
    accessToken: token,
    tokenType: "Bearer",
    expiresIn,
    refreshToken,
    refreshTokenExpiresAt: expiresAt.toISOString(),
  };
}

export type RotationResult =
  | { outcome: "rotated"; userId: string; familyId: string }
  | { outcome: "reused"; familyId: string }
  | { outcome: "invalid" };

/**
 * Every change to a family (rotation, revocation) holds this transaction-scoped lock, so a
 * revocation can never miss a successor token that a concurrent rotation is about to insert.
 */
async function lockFamily(tx: Tx, familyId: string): Promise<void> {
  await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${familyId}, 0))`);
}

/**
 * Exchanges a refresh token for its successor, returning the successor's row values. Presenting
 * a token that was already rotated is treated as theft and revokes the whole family
 * (RFC 9700 §4.14.2), including any successor, whatever the interleaving of concurrent requests.
 */
export async function rotateRefreshToken(
  db: Db,
  config: Config,
  refreshToken: string,
): Promise<RotationResult & { successor?: string; successorExpiresAt?: Date }> {
  const tokenHash = await sha256Hex(refreshToken);
  const [found] = await db
    .select({ familyId: refreshTokens.familyId })
    .from(refreshTokens)
    .where(eq(refreshTokens.tokenHash, tokenHash));
  if (!found) return { outcome: "invalid" };
  return db.interactiveTransaction(async (tx) => {
    await lockFamily(tx, found.familyId);
    const [token] = await tx.select().from(refreshTokens).where(eq(refreshTokens.tokenHash, tokenHash));
    if (!token) return { outcome: "invalid" as const };
    if (token.rotatedAt) {
      await revokeFamilyIn(tx, token.familyId);
      return { outcome: "reused" as const, familyId: token.familyId };
    }
    if (token.revokedAt || token.expiresAt <= new Date()) return { outcome: "invalid" as const };
    await tx.update(refreshTokens).set({ rotatedAt: sql`now()` }).where(eq(refreshTokens.id, token.id));
    const successor = randomToken(32);
    const successorExpiresAt = refreshExpiry(config);
    await tx.insert(refreshTokens).values({
      userId: token.userId,
      familyId: token.familyId,
      tokenHash: await sha256Hex(successor),
      expiresAt: successorExpiresAt,
    });
    return {
      outcome: "rotated" as const,
      userId: token.userId,
      familyId: token.familyId,
      successor,
      successorExpiresAt,
    };
  });
}

async function revokeFamilyIn(tx: Tx | Db, familyId: string): Promise<void> {
  await tx
    .update(refreshTokens)
    .set({ revokedAt: sql`now()` })
    .where(and(eq(refreshTokens.familyId, familyId), isNull(refreshTokens.revokedAt)));
}

export async function revokeFamily(db: Db, familyId: string): Promise<void> {
  await db.interactiveTransaction(async (tx) => {
    await lockFamily(tx, familyId);
    await revokeFamilyIn(tx, familyId);
  });
}

/** The family a refresh token belongs to, whatever its state (logout of a stale token still works). */
export async function familyOf(db: Db, refreshToken: string): Promise<string | undefined> {
  const [row] = await db
    .select({ familyId: refreshTokens.familyId })
    .from(refreshTokens)
    .where(eq(refreshTokens.tokenHash, await sha256Hex(refreshToken)));
  return row?.familyId;
}

/** Signs a user out everywhere; this isolate also forgets them at once (see `callers`). */
export async function revokeAllForUser(db: Db, userId: string): Promise<void> {
  callers.forgetUser(userId);
  await db
    .update(refreshTokens)
    .set({ revokedAt: sql`now()` })
    .where(and(eq(refreshTokens.userId, userId), isNull(refreshTokens.revokedAt)));
}
