import { errorMessage } from "@common/logger";
import { apiKeys, users } from "@db/schema";
import { and, eq, isNull, lt, or, sql } from "drizzle-orm";
import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import { keyRing, verifyAccessTokenCached } from "../auth/access-tokens";
import { looksLikeApiKey } from "../auth/api-keys";
import { type CachedCaller, callers } from "../auth/caller-cache";
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

function isRead(c: Context<AppEnv>): boolean {
  return c.req.method === "GET" || c.req.method === "HEAD";
}

/** Reads may use a caller this isolate authenticated moments ago; writes always look up. */
function cacheTtlMs(c: Context<AppEnv>): number {
  return isRead(c) ? c.var.config.AUTH_CACHE_SECONDS * 1000 : 0;
}

/** The remembered caller for a read (concurrent misses share one lookup); a fresh one for writes. */
async function remembered(
  c: Context<AppEnv>,
  cacheKey: string,
  lookup: () => Promise<CachedCaller>,
): Promise<CachedCaller> {
  const ttlMs = cacheTtlMs(c);
  if (ttlMs === 0) return await lookup();
  return callers.get(cacheKey, ttlMs) ?? (await callers.load(cacheKey, lookup));
}

async function verifiedToken(c: Context<AppEnv>, token: string): Promise<{ sub: string; exp: number }> {
  const config = c.var.config;
  try {
    const payload = await verifyAccessTokenCached(
      await keyRing(config.JWT_KEYS),
      {
        issuer: config.JWT_ISSUER,
        audience: config.JWT_AUDIENCE,
        ttlSeconds: config.ACCESS_TOKEN_TTL_SECONDS,
      },
      token,
    );
    return payload;
  } catch (error) {
    c.var.logger.info("access token refused", {
      reason: errorMessage(error),
    });
    throw unauthorized("Invalid or expired access token", "invalid_token");
  }
}

async function fromAccessToken(c: Context<AppEnv>, token: string): Promise<Principal> {
  // The signature and time claims are checked on every request; only the account is remembered.
  const { sub: subject, exp } = await verifiedToken(c, token);
  const cacheKey = `user:${subject}`;
  const caller = await remembered(c, cacheKey, () => lookUpUser(c, subject, cacheKey));
  return { ...caller, via: "token", scopes: scopesForRole(caller.role), expiresAt: new Date(exp * 1000) };
}

async function lookUpUser(c: Context<AppEnv>, subject: string, cacheKey: string): Promise<CachedCaller> {
  const mark = callers.mark();
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
  // A disabled account is refused at the next lookup: at once for writes, within the cache's
  // time to live for reads in other isolates.
  if (!user || user.disabledAt) {
    callers.forget(cacheKey);
    throw unauthorized("Invalid or expired access token", "invalid_token");
  }
  const caller = { userId: user.id, email: user.email, role: user.role, userCreatedAt: user.createdAt };
  callers.set(cacheKey, user.id, caller, mark);
  return caller;
}

const LAST_USED_RESOLUTION_MS = 60_000;

async function fromApiKey(c: Context<AppEnv>, key: string): Promise<Principal> {
  const cacheKey = `key:${await sha256Hex(key)}`;
  const caller = await remembered(c, cacheKey, () => lookUpApiKey(c, cacheKey));
  const apiKey = caller.apiKey;
  // Expiry is a time bound, checked on every use whether or not the key was remembered.
  if (!apiKey || (apiKey.expiresAt && apiKey.expiresAt <= new Date())) {
    callers.forget(cacheKey);
    throw unauthorized("Invalid, revoked or expired API key", "invalid_token");
  }
  recordUse(c, apiKey);
  const allowed = new Set(scopesForRole(caller.role));
  return {
    userId: caller.userId,
    email: caller.email,
    role: caller.role,
    userCreatedAt: caller.userCreatedAt,
    via: "api_key",
    apiKeyId: apiKey.id,
    expiresAt: apiKey.expiresAt,
    // A key never grants more than its owner's current role does.
    scopes: apiKey.scopes.filter((scope) => allowed.has(scope)),
  };
}

async function lookUpApiKey(c: Context<AppEnv>, cacheKey: string): Promise<CachedCaller> {
  const mark = callers.mark();
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
    .where(eq(apiKeys.keyHash, cacheKey.slice("key:".length)));
  if (!row || row.revokedAt || row.disabledAt) {
    callers.forget(cacheKey);
    throw unauthorized("Invalid, revoked or expired API key", "invalid_token");
  }
  const caller: CachedCaller = {
    userId: row.userId,
    email: row.email,
    role: row.role,
    userCreatedAt: row.userCreatedAt,
    apiKey: {
      id: row.id,
      scopes: row.scopes as Scope[],
      expiresAt: row.expiresAt,
      lastUsedAt: row.lastUsedAt,
    },
  };
  callers.set(cacheKey, row.userId, caller, mark);
  return caller;
}

/**
 * Records use at most once a minute per key (and isolate): enough for "last used", and no write
 * at all on most requests under load. The condition is repeated in SQL for other isolates.
 */
function recordUse(c: Context<AppEnv>, apiKey: NonNullable<CachedCaller["apiKey"]>): void {
  const now = Date.now();
  if (apiKey.lastUsedAt && apiKey.lastUsedAt.getTime() >= now - LAST_USED_RESOLUTION_MS) return;
  // The remembered key carries the new time, so its next uses do not write again.
  apiKey.lastUsedAt = new Date(now);
  c.executionCtx.waitUntil(
    c.var.db
      .update(apiKeys)
      .set({ lastUsedAt: sql`now()` })
      .where(
        and(
          eq(apiKeys.id, apiKey.id),
          or(isNull(apiKeys.lastUsedAt), lt(apiKeys.lastUsedAt, sql`now() - interval '1 minute'`)),
        ),
      )
      .then(() => undefined),
  );
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
    const principal = looksLikeApiKey(credential)
      ? await fromApiKey(c, credential)
      : await fromAccessToken(c, credential);
    c.set("principal", principal);
    try {
      await next();
    } finally {
      // A write may have revoked a key or signed out: this isolate forgets the caller at once.
      if (!isRead(c)) callers.forgetUser(principal.userId);
    }
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
