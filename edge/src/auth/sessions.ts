import { and, eq, isNull, sql } from "drizzle-orm";
import type { Db } from "../../../db/client-worker";
import { refreshTokens } from "../../../db/schema";
import type { Config } from "../config";
import { keyRing, signAccessToken } from "./access-tokens";
import { randomToken, sha256Hex } from "./secrets";

export type TokenPair = {
  accessToken: string;
  tokenType: "Bearer";
  expiresIn: number;
  refreshToken: string;
  refreshTokenExpiresAt: string;
};

/** Issues an access token and a refresh token; a new login starts a new refresh-token family. */
export async function issueTokens(
  db: Db,
  config: Config,
  userId: string,
  familyId: string = crypto.randomUUID(),
): Promise<TokenPair> {
  const refreshToken = randomToken(32);
  const expiresAt = new Date(Date.now() + config.REFRESH_TOKEN_TTL_DAYS * 86_400_000);
  await db
    .insert(refreshTokens)
    .values({ userId, familyId, tokenHash: await sha256Hex(refreshToken), expiresAt });
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
 * Exchanges a refresh token for its successor. The token is claimed with one conditional
 * UPDATE, so two concurrent uses cannot both win; presenting a token that was already rotated
 * is treated as theft and revokes the whole family (RFC 9700 §4.14.2).
 */
export async function rotateRefreshToken(db: Db, refreshToken: string): Promise<RotationResult> {
  const tokenHash = await sha256Hex(refreshToken);
  const [claimed] = await db
    .update(refreshTokens)
    .set({ rotatedAt: sql`now()` })
    .where(
      and(
        eq(refreshTokens.tokenHash, tokenHash),
        isNull(refreshTokens.rotatedAt),
        isNull(refreshTokens.revokedAt),
        sql`${refreshTokens.expiresAt} > now()`,
      ),
    )
    .returning({ userId: refreshTokens.userId, familyId: refreshTokens.familyId });
  if (claimed) return { outcome: "rotated", ...claimed };

  const [known] = await db
    .select({ familyId: refreshTokens.familyId, rotatedAt: refreshTokens.rotatedAt })
    .from(refreshTokens)
    .where(eq(refreshTokens.tokenHash, tokenHash));
  if (known?.rotatedAt) {
    await revokeFamily(db, known.familyId);
    return { outcome: "reused", familyId: known.familyId };
  }
  return { outcome: "invalid" };
}

export async function revokeFamily(db: Db, familyId: string): Promise<void> {
  await db
    .update(refreshTokens)
    .set({ revokedAt: sql`now()` })
    .where(and(eq(refreshTokens.familyId, familyId), isNull(refreshTokens.revokedAt)));
}

/** The family a refresh token belongs to, whatever its state (logout of a stale token still works). */
export async function familyOf(db: Db, refreshToken: string): Promise<string | undefined> {
  const [row] = await db
    .select({ familyId: refreshTokens.familyId })
    .from(refreshTokens)
    .where(eq(refreshTokens.tokenHash, await sha256Hex(refreshToken)));
  return row?.familyId;
}

export async function revokeAllForUser(db: Db, userId: string): Promise<void> {
  await db
    .update(refreshTokens)
    .set({ revokedAt: sql`now()` })
    .where(and(eq(refreshTokens.userId, userId), isNull(refreshTokens.revokedAt)));
}
