import type { RateLimitSetting } from "./config";
import type { JobEvent } from "./jobs/events";

/**
 * The Durable Objects the edge calls, described by the calls it makes, so the edge's bindings are
 * typed without importing the classes from `workers/`. Each class `implements` its interface:
 * a method the edge calls that the class changes or drops fails to compile there.
 */

/** What the edge reads of one rate-limit decision. */
export type RateLimitDecision = {
  allowed: boolean;
  /** Requests still allowed right now after this one. */
  remaining: number;
  /** Milliseconds until the full quota is available again. */
  resetMs: number;
  /** Milliseconds until the next request would be allowed (0 when allowed). */
  retryAfterMs: number;
};

/** A batch decision: how many of the requests asked for were counted (0 when refused). */
export type RateLimitGrant = RateLimitDecision & { granted: number };

/** `RATE_LIMITER`: one object per (policy, caller); `workers/src/rate-limiter/durable-object.ts`. */
export interface RateLimiterRpc extends Rpc.DurableObjectBranded {
  /** Counts one request against `limit` and says whether it may pass. */
  check(limit: RateLimitSetting): Promise<RateLimitDecision>;
  /** Counts up to `want` requests at once (an isolate's lease); at least one when allowed. */
  take(limit: RateLimitSetting, want: number): Promise<RateLimitGrant>;
}

/** `JOB_EVENTS`: one hub per user; `workers/src/job-events/durable-object.ts`. */
export interface JobEventsRpc extends Rpc.DurableObjectBranded {
  /**
   * Subscribes one isolate: a WebSocket upgrade (`Upgrade: websocket`), answered 101 with a
   * socket the hub accepts through the Hibernation API, 503 when it holds too many. Each publish
   * arrives on it as one text message, a `JobEventBatch`: `{"id", "events": JobEvent[]}`.
   */
  fetch(request: Request): Promise<Response>;
  /** Sends the events to every subscribed isolate; answers how many sockets they were sent to. */
  publish(events: JobEvent[]): Promise<number>;
  /** Sockets the hub holds now (one per subscribed isolate): for tests and operations. */
  subscriptions(): Promise<number>;
  /**
   * Closes every subscribed socket (a hub restart, as operations or tests provoke it): each
   * isolate's waits resubscribe and re-read their job; its streams end with a `reconnect` event.
   */
  disconnect(): Promise<number>;
}
