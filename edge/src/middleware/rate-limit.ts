import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import type { RateLimitSetting } from "../config";
import type { AppEnv } from "../env";
import { ApiError } from "../errors";

/** Route classes with their own limits (see docs/api.md, "Rate limits"). */
export type RateLimitPolicy = "auth_ip" | "auth_account" | "read" | "write";

const settingOf: Record<RateLimitPolicy, (config: AppEnv["Variables"]["config"]) => RateLimitSetting> = {
  auth_ip: (config) => config.RATE_LIMIT_AUTH_IP,
  auth_account: (config) => config.RATE_LIMIT_AUTH_ACCOUNT,
  read: (config) => config.RATE_LIMIT_READ,
  write: (config) => config.RATE_LIMIT_WRITE,
};

/** The caller's address as Cloudflare reports it; one shared bucket when unknown. */
export function clientIp(c: Context<AppEnv>): string {
  return c.req.header("CF-Connecting-IP") ?? "unknown";
}

/** API key, else user, else client IP: the most specific identity the request has proven. */
export function callerKey(c: Context<AppEnv>): string {
  const principal = c.get("principal");
  if (principal?.apiKeyId) return `key:${principal.apiKeyId}`;
  if (principal) return `user:${principal.userId}`;
  return `ip:${clientIp(c)}`;
}

/**
 * Counts one request against `policy` for `key` and returns the `RateLimit-Policy` and
 * `RateLimit` headers (draft-ietf-httpapi-ratelimit-headers). Throws `rate_limited` (429, with
 * `Retry-After`) when the quota is spent.
 */
export async function enforceRateLimit(
  c: Context<AppEnv>,
  policy: RateLimitPolicy,
  key: string,
): Promise<Record<string, string>> {
  const setting = settingOf[policy](c.var.config);
  const limiter = c.env.RATE_LIMITER.getByName(`${policy}:${key}`);
  const decision = await limiter.check(setting);
  const headers: Record<string, string> = {
    "RateLimit-Policy": `"${policy}";q=${setting.limit};w=${setting.periodMs / 1000}`,
    RateLimit: `"${policy}";r=${decision.remaining};t=${Math.ceil(decision.resetMs / 1000)}`,
  };
  if (!decision.allowed) {
    const retryAfter = Math.max(1, Math.ceil(decision.retryAfterMs / 1000));
    throw new ApiError("rate_limited", `Too many requests; retry in ${retryAfter} s`, {
      headers: { ...headers, "Retry-After": String(retryAfter) },
    });
  }
  return headers;
}

/**
 * Applies a route-class limit to every request it wraps, keyed by `key` (default: the caller).
 *
 * @example router.use("/v1/images/*", authenticate(), rateLimit((c) => c.req.method === "GET" ? "read" : "write"))
 */
export function rateLimit(
  policy: RateLimitPolicy | ((c: Context<AppEnv>) => RateLimitPolicy),
  key: (c: Context<AppEnv>) => string = callerKey,
) {
  return createMiddleware<AppEnv>(async function rateLimitMiddleware(c, next) {
    const chosen = typeof policy === "function" ? policy(c) : policy;
    const headers = await enforceRateLimit(c, chosen, key(c));
    await next();
    for (const [name, value] of Object.entries(headers)) c.res.headers.set(name, value);
  });
}
