import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import type { RateLimitSetting } from "../config";
import type { RateLimitDecision, RateLimitGrant } from "../durable-objects";
import type { AppEnv } from "../env";
import { ApiError } from "../errors";
import { settledWithin } from "../shared-promise";

/** Route classes with their own limits (see docs/api.md, "Rate limits"). */
export type RateLimitPolicy = "auth_ip" | "auth_account" | "read" | "write";

const settingOf: Record<RateLimitPolicy, (config: AppEnv["Variables"]["config"]) => RateLimitSetting> = {
  auth_ip: (config) => config.RATE_LIMIT_AUTH_IP,
  auth_account: (config) => config.RATE_LIMIT_AUTH_ACCOUNT,
  read: (config) => config.RATE_LIMIT_READ,
  write: (config) => config.RATE_LIMIT_WRITE,
};

/** A decision that counted `granted` requests at once (0 when refused). */
/** Most of a limit one lease may take, so a fresh bucket is never spent by one isolate. */
const MAX_LEASE_SHARE = 1 / 32;
/** Buckets one isolate remembers leases and refusals for; the oldest go first. */
const MAX_LOCAL_BUCKETS = 10_000;

/**
 * Requests one isolate may take from the limiter at once: `leaseMs` worth of the rate, at most
 * 1/32 of the limit. 1 means no lease (every request asks the limiter, as for small limits).
 */
export function leaseSize(setting: RateLimitSetting, leaseMs: number): number {
  const perMs = setting.limit / setting.periodMs;
  return Math.max(1, Math.floor(Math.min(perMs * leaseMs, setting.limit * MAX_LEASE_SHARE)));
}

type Lease = { left: number; expiresAt: number; remaining: number; resetAt: number };
type Refusal = { until: number; resetAt: number };
type Take = (want: number) => Promise<RateLimitGrant>;

/**
 * One isolate's share of its callers' quotas, so most requests are decided without a call to the
 * limiter object. Accuracy (docs/operations.md, `RATE_LIMIT_LEASE_MS`):
 * - A lease of L requests is counted by the limiter when granted and expires after the time the
 *   limiter takes to refill L (L × period / limit), so over any window all isolates together
 *   admit at most L more than an exact limiter would; L = 1 is exact.
 * - A refusal is remembered until the limiter's `Retry-After`: the limiter would refuse every
 *   request before then too, so this adds no slack.
 * - A busy isolate asks for its next lease when half of the current one is spent, so requests do
 *   not wait for the limiter; requests of leases that expire unused are lost (at most two leases
 *   per isolate and lease time): a caller spread over many isolates may be refused a little early.
 */
export class LocalAllowance {
  private readonly leases = new Map<string, Lease[]>();
  private readonly refusals = new Map<string, Refusal>();
  /** One limiter call per bucket at a time; others wait for its lease instead of taking more. */
  private readonly inFlight = new Map<string, Promise<unknown>>();

  constructor(private readonly now: () => number = Date.now) {}

  /**
   * Decides one request. `background` keeps an early refill alive past the response (the
   * request's `waitUntil`).
   */
  async decide(
    bucket: string,
    setting: RateLimitSetting,
    leaseMs: number,
    take: Take,
    background: (work: Promise<unknown>) => void = () => {},
  ): Promise<RateLimitDecision> {
    const size = leaseSize(setting, leaseMs);
    const intervalMs = setting.periodMs / setting.limit;
    for (;;) {
      const local = this.fromMemory(bucket);
      if (local) {
        if (size > 1 && local.allowed && this.runningLow(bucket, size) && !this.inFlight.has(bucket))
          background(this.ask(bucket, size, take, intervalMs, false).catch(() => undefined));
        return local;
      }
      const pending = size > 1 ? this.inFlight.get(bucket) : undefined;
      if (!pending || !(await settledWithin(pending, IN_FLIGHT_WAIT_MS))) break;
    }
    return await this.ask(bucket, size, take, intervalMs, true);
  }

  /** Asks the limiter for `size`; `forRequest` spends the first of the grant on the asker. */
  private async ask(bucket: string, size: number, take: Take, intervalMs: number, forRequest: boolean) {
    const askedAt = this.now();
    const call = take(size).then((grant) => this.remember(bucket, grant, askedAt, intervalMs, forRequest));
    if (size > 1) {
      this.inFlight.set(bucket, call);
      call.finally(() => this.inFlight.delete(bucket)).catch(() => undefined);
    }
    return await call;
  }

  private runningLow(bucket: string, size: number): boolean {
    const left = (this.leases.get(bucket) ?? []).reduce((sum, lease) => sum + lease.left, 0);
    return left <= size / 2;
  }

  private fromMemory(bucket: string): RateLimitDecision | undefined {
    const now = this.now();
    // Granted requests are spent first, even after a later ask was refused.
    const leases = (this.leases.get(bucket) ?? []).filter((lease) => lease.left > 0 && lease.expiresAt > now);
    const lease = leases[0];
    if (lease) {
      lease.left--;
      this.leases.set(bucket, leases);
      return {
        allowed: true,
        remaining: leases.reduce((sum, held) => sum + held.left, lease.remaining),
        resetMs: Math.max(0, Math.ceil(lease.resetAt - now)),
        retryAfterMs: 0,
      };
    }
    this.leases.delete(bucket);
    const refusal = this.refusals.get(bucket);
    if (!refusal) return undefined;
    if (refusal.until <= now) {
      this.refusals.delete(bucket);
      return undefined;
    }
    return {
      allowed: false,
      remaining: 0,
      resetMs: Math.max(0, Math.ceil(refusal.resetAt - now)),
      retryAfterMs: Math.ceil(refusal.until - now),
    };
  }

  private remember(
    bucket: string,
    grant: RateLimitGrant,
    askedAt: number,
    intervalMs: number,
    forRequest: boolean,
  ): RateLimitDecision {
    const spent = forRequest ? 1 : 0;
    if (!grant.allowed) {
      bounded(this.refusals).set(bucket, {
        until: askedAt + grant.retryAfterMs,
        resetAt: askedAt + grant.resetMs,
      });
    } else if (grant.granted > spent) {
      this.refusals.delete(bucket);
      // Timed from before the call, so a lease never outlives the refill of what it holds.
      const lease = {
        left: grant.granted - spent,
        expiresAt: askedAt + grant.granted * intervalMs,
        remaining: grant.remaining,
        resetAt: askedAt + grant.resetMs,
      };
      const held = this.leases.get(bucket);
      if (held) held.push(lease);
      else bounded(this.leases).set(bucket, [lease]);
    }
    return {
      allowed: grant.allowed,
      remaining: grant.remaining + Math.max(0, grant.granted - spent),
      resetMs: grant.resetMs,
      retryAfterMs: grant.retryAfterMs,
    };
  }
}

function bounded<V>(map: Map<string, V>): Map<string, V> {
  if (map.size >= MAX_LOCAL_BUCKETS) {
    const oldest = map.keys().next();
    if (!oldest.done) map.delete(oldest.value);
  }
  return map;
}

/** Longest wait for another request's limiter call; past it the request asks the limiter itself. */
const IN_FLIGHT_WAIT_MS = 2_000;

/** This isolate's allowance, shared by every request it serves. */
const allowance = new LocalAllowance();

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
 * `Retry-After`) when the quota is spent. Decided from this isolate's lease when it holds one.
 */
export async function enforceRateLimit(
  c: Context<AppEnv>,
  policy: RateLimitPolicy,
  key: string,
): Promise<Record<string, string>> {
  const setting = settingOf[policy](c.var.config);
  const bucket = `${policy}:${key}`;
  // The binding is typed by `check` alone; the class also implements the batch call.
  const limiters = c.env.RATE_LIMITER;
  const decision = await allowance.decide(
    bucket,
    setting,
    c.var.config.RATE_LIMIT_LEASE_MS,
    (want) => limiters.getByName(bucket).take(setting, want),
    (work) => c.executionCtx.waitUntil(work),
  );
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
