import { errorMessage } from "@common/logger";
import { apiKeys, users } from "@db/schema";
import { and, eq, isNull, lt, or, sql } from "drizzle-orm";
import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import { keyRing, verifyAccessToken } from "../auth/access-tokens";
import { looksLikeApiKey } from "../auth/api-keys";
import { type Principal, type Scope, scopesForRole } from "../auth/scopes";
import { sha256Hex } from "../auth/secrets";
import type { AppEnv } from "../env";
import { ApiError } from "../errors";

const REALM = "defect-detection";

/** 401 with the RFC 6750 challenge; the reason goes to the log, the client learns only the kind. */
function unauthorized(message: string, error?: "invalid_token" | "invalid_request"): ApiError {
  const challenge = error ? `Bearer realm="${REALM}", error="${error}"` : `Bearer realm="${REALM}"`;
  return new ApiError("unauthorized", message, { headers: { "WWW-Authenticate": challenge } });
}

async function fromAccessToken(c: Context<AppEnv>, token: string): Promise<Principal> {
  const config = c.var.config;
  let subject: string;
  try {
    const payload = await verifyAccessToken(
      await keyRing(config.JWT_KEYS),
      {
        issuer: config.JWT_ISSUER,
        audience: config.JWT_AUDIENCE,
        ttlSeconds: config.ACCESS_TOKEN_TTL_SECONDS,
      },
      token,
    );
    subject = payload.sub;
  } catch (error) {
    c.var.logger.info("access token refused", {
      reason: errorMessage(error),
    });
    throw unauthorized("Invalid or expired access token", "invalid_token");
  }
  const [user] = await c.var.db
    .select({
      id: users.id,
      email: users.email,
      role: users.role,
      disabledAt: users.disabledAt,
      createdAt: users.createdAt,
    })
    .from(users)
    .where(eq(users.id, subject));
  // Checked on every request, so disabling an account takes effect at once.
  if (!user || user.disabledAt) throw unauthorized("Invalid or expired access token", "invalid_token");
  return {
    userId: user.id,
    email: user.email,
    role: user.role,
    userCreatedAt: user.createdAt,
    via: "token",
    scopes: scopesForRole(user.role),
  };
}

const LAST_USED_RESOLUTION_MS = 60_000;

async function fromApiKey(c: Context<AppEnv>, key: string): Promise<Principal> {
  const [row] = await c.var.db
    .select({
      id: apiKeys.id,
      scopes: apiKeys.scopes,
      revokedAt: apiKeys.revokedAt,
      expiresAt: apiKeys.expiresAt,
      lastUsedAt: apiKeys.lastUsedAt,
      userId: users.id,
      userCreatedAt: users.createdAt,
      email: users.email,
      role: users.role,
      disabledAt: users.disabledAt,
    })
    .from(apiKeys)
    .innerJoin(users, eq(users.id, apiKeys.userId))
    .where(eq(apiKeys.keyHash, await sha256Hex(key)));
  const usable = row && !row.revokedAt && !row.disabledAt && (!row.expiresAt || row.expiresAt > new Date());
  if (!usable) throw unauthorized("Invalid, revoked or expired API key", "invalid_token");

  // Record use at most once a minute per key: enough for "last used", and no write at all on
  // most requests under load. The condition is repeated in SQL for concurrent requests.
  if (!row.lastUsedAt || row.lastUsedAt.getTime() < Date.now() - LAST_USED_RESOLUTION_MS) {
    c.executionCtx.waitUntil(
      c.var.db
        .update(apiKeys)
        .set({ lastUsedAt: sql`now()` })
        .where(
          and(
            eq(apiKeys.id, row.id),
            or(isNull(apiKeys.lastUsedAt), lt(apiKeys.lastUsedAt, sql`now() - interval '1 minute'`)),
          ),
        )
        .then(() => undefined),
    );
  }
  const allowed = new Set(scopesForRole(row.role));
  return {
    userId: row.userId,
    email: row.email,
    role: row.role,
    userCreatedAt: row.userCreatedAt,
    via: "api_key",
    apiKeyId: row.id,
    // A key never grants more than its owner's current role does.
    scopes: (row.scopes as Scope[]).filter((scope) => allowed.has(scope)),
  };
}

/**
 * Authenticates `Authorization: Bearer <access token | API key>` into `c.var.principal`.
 * Needs the `database` middleware before it.
 *
 * @example router.use("/v1/images/*", database(), authenticate())
 */
export function authenticate() {
  return createMiddleware<AppEnv>(async function authenticateMiddleware(c, next) {
    const header = c.req.header("Authorization");
    const match = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    if (!match?.[1]) {
      throw header
        ? unauthorized("Authorization header must be `Bearer <token>`", "invalid_request")
        : unauthorized("Authentication required");
    }
    const credential = match[1];
    c.set(
      "principal",
      looksLikeApiKey(credential) ? await fromApiKey(c, credential) : await fromAccessToken(c, credential),
    );
    await next();
  });
}

/** Ownership/scope check for handlers: 403 unless the caller holds `scope`. */
export function requireScope(c: Context<AppEnv>, scope: Scope): Principal {
  const principal = c.var.principal;
  if (!principal.scopes.includes(scope)) {
    throw new ApiError("insufficient_scope", `This credential lacks the "${scope}" scope`);
  }
  return principal;
}

/** Account management (keys) needs a signed-in user, never an API key: keys cannot mint keys. */
export function requireUserSession(c: Context<AppEnv>): Principal {
  const principal = c.var.principal;
  if (principal.via !== "token") {
    throw new ApiError("forbidden", "This operation needs a signed-in user, not an API key");
  }
  return principal;
}
