import type { RateLimitDecision } from "@edge/durable-objects";

/**
 * Generic Cell Rate Algorithm: an exact token bucket kept as one number, the theoretical
 * arrival time (TAT). `limit` requests per `periodMs`, all of which may arrive at once.
 */
export type GcraLimit = { limit: number; periodMs: number };

export type GcraDecision = RateLimitDecision & {
  /** State to keep: unchanged when the request was refused. */
  tat: number;
};

export function gcra(tat: number | undefined, now: number, { limit, periodMs }: GcraLimit): GcraDecision {
  const interval = periodMs / limit;
  const current = Math.max(tat ?? now, now);
  const next = current + interval;
  const allowAt = next - periodMs;
  if (allowAt > now) {
    return {
      allowed: false,
      remaining: 0,
      resetMs: Math.ceil(current - now),
      retryAfterMs: Math.ceil(allowAt - now),
      tat: current,
    };
  }
  return {
    allowed: true,
    remaining: Math.floor((now - allowAt) / interval),
    resetMs: Math.ceil(next - now),
    retryAfterMs: 0,
    tat: next,
  };
}
