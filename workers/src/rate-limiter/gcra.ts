import type { RateLimitDecision } from "@edge/durable-objects";

/**
 * Generic Cell Rate Algorithm: an exact token bucket kept as one number, the theoretical
 * arrival time (TAT). `limit` requests per `periodMs`, all of which may arrive at once.
 */
export type GcraLimit = { limit: number; periodMs: number };

export type GcraDecision = RateLimitDecision & {
  /** State to keep: unchanged when the request was refused. */
  tat: number;
  /** Requests counted by this decision: 0 when refused, else between 1 and what was wanted. */
  granted: number;
};

/**
 * Counts up to `want` requests at `now`: as many as the bucket holds, at least one or none.
 * With `want` 1 (the default) this is the plain one-request decision.
 */
export function gcra(
  tat: number | undefined,
  now: number,
  { limit, periodMs }: GcraLimit,
  want = 1,
): GcraDecision {
  const interval = periodMs / limit;
  const current = Math.max(tat ?? now, now);
  const allowAt = current + interval - periodMs;
  if (allowAt > now) {
    return {
      allowed: false,
      remaining: 0,
      resetMs: Math.ceil(current - now),
      retryAfterMs: Math.ceil(allowAt - now),
      tat: current,
      granted: 0,
    };
  }
  // Left after the first request; a batch takes at most that many more.
  const left = Math.floor((now - allowAt) / interval);
  const granted = 1 + Math.max(0, Math.min(Math.floor(want) - 1, left));
  const next = current + granted * interval;
  return {
    allowed: true,
    remaining: left - (granted - 1),
    resetMs: Math.ceil(next - now),
    retryAfterMs: 0,
    tat: next,
    granted,
  };
}
