import type { jobs } from "@db/schema";
import { readConfig } from "../config";
import type { Bindings } from "../env";
import { ApiError } from "../errors";

type JobRow = typeof jobs.$inferSelect;
export type JobStatus = JobRow["status"];

/** Once a job has one of these it never changes again. */
export const finalStatuses = ["succeeded", "failed"] as const satisfies readonly JobStatus[];
export const isFinal = (status: JobStatus) => (finalStatuses as readonly JobStatus[]).includes(status);

/**
 * The job as an event (live stream, webhook body) shows it: its state, never its detections,
 * which are read with `GET /v1/jobs/{id}`.
 */
export type JobEventData = {
  id: string;
  status: JobStatus;
  imageId: string;
  model: string;
  modelVersion: string | null;
  modelSha256: string | null;
  attempts: number;
  error: string | null;
  detectionCount: number;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
};

/** `job.<status>`: what happened to the job. The final two are also webhook event types. */
export type JobEventType = `job.${JobStatus}`;

export type JobEvent = { type: JobEventType; job: JobEventData };

export function jobEventData(job: JobRow, detectionCount: number): JobEventData {
  return {
    id: job.id,
    status: job.status,
    imageId: job.imageId,
    model: job.model,
    modelVersion: job.modelVersion,
    modelSha256: job.modelSha256,
    attempts: job.attempts,
    error: job.error,
    detectionCount,
    createdAt: job.createdAt.toISOString(),
    startedAt: job.startedAt?.toISOString() ?? null,
    finishedAt: job.finishedAt?.toISOString() ?? null,
  };
}

export const jobEvent = (job: JobRow, detectionCount: number): JobEvent => ({
  type: `job.${job.status}`,
  job: jobEventData(job, detectionCount),
});

/** The owner's event hub: one Durable Object per user sees every change to that user's jobs. */
const hub = (env: Bindings, ownerId: string) => env.JOB_EVENTS.get(env.JOB_EVENTS.idFromName(ownerId));

/**
 * Tells everyone waiting on the owner's jobs. Best effort by design: a waiter that misses it
 * still answers with the database's state when its wait ends.
 */
export async function publishJobEvents(env: Bindings, ownerId: string, events: JobEvent[]): Promise<void> {
  if (events.length > 0) await hub(env, ownerId).publish(events);
}

// ---------------------------------------------------------------------------------------------
// Subscriptions: one per isolate and owner, fanned out in memory.
//
// The first wait or stream of an owner in this isolate opens one WebSocket to the owner's hub;
// every later one of that owner is served from it, and the last to leave closes it. Workers bind
// an I/O object (the socket, its timers) to the request that created it, so only that request's
// context ever touches the socket: the others receive events by promises it resolves, and ask it
// to close by resolving a promise it awaits (a continuation runs in the context that awaits).

/** What an isolate's hub socket sends to keep itself alive, and the hub's automatic answer. */
export const SUBSCRIPTION_PING = "ping";
export const SUBSCRIPTION_PONG = "pong";

/** How long a wait or stream waits for the hub to accept a new subscription before a 503. */
const SUBSCRIBE_TIMEOUT_MS = 10_000;
/** Heartbeats without a pong after which the hub socket is presumed lost. */
const LOST_AFTER_HEARTBEATS = 3;
/**
 * Heartbeats a feed may go without asking for events before it is presumed gone and dropped. A
 * live wait or stream asks at least once a heartbeat; workerd does not cancel a response body's
 * source when its client disconnects, so this sweep is what ends the feeds of departed clients.
 */
const IDLE_AFTER_HEARTBEATS = 2;

/**
 * Why a feed ended: its client fell more than EVENT_STREAM_MAX_BUFFERED_EVENTS behind, stopped
 * asking for events, or the hub socket was lost. In each case events may have been missed.
 */
export type FeedEnd = "overflow" | "idle" | "lost";

const subscriptions = new Map<string, Subscription>();

const unavailable = () =>
  new ApiError("service_unavailable", "Too many open waits and event streams; retry shortly", {
    headers: { "Retry-After": "5" },
  });

/** One wait's or stream's share of the owner's events: a bounded queue filled by the subscription. */
export class JobEventFeed {
  private queue: JobEvent[] = [];
  private wake: (() => void) | undefined;
  private ended: FeedEnd | "closed" | null = null;
  /** When the feed's owner last asked for events (see `Subscription.sweep`). */
  lastAskedAt = Date.now();

  constructor(
    private readonly subscription: Subscription,
    private readonly jobId: string | null,
    private readonly maxBuffered: number,
  ) {}

  /** Queues the events of its job (or all); past the bound, the feed ends instead. */
  deliver(events: JobEvent[]): void {
    const mine = this.jobId === null ? events : events.filter((event) => event.job.id === this.jobId);
    if (mine.length === 0 || this.ended !== null) return;
    if (this.queue.length + mine.length > this.maxBuffered) {
      this.end("overflow");
      return;
    }
    this.queue.push(...mine);
    this.wake?.();
  }

  /** Ends the feed: an overflow discards what it held; lost and idle feeds still hand it out. */
  end(reason: FeedEnd): void {
    if (this.ended !== null) return;
    this.ended = reason;
    if (reason === "overflow") this.queue = [];
    this.subscription.remove(this);
    // An idle feed's request is presumed gone: waking it would resume a cancelled request. Were
    // it alive, its next call would see the end within a heartbeat.
    if (reason !== "idle") this.wake?.();
  }

  /**
   * The events that arrived since the last call, waiting up to `timeoutMs` for some (an empty
   * list when none came); once the feed has ended and its events were taken, why it ended.
   */
  async next(timeoutMs: number): Promise<JobEvent[] | FeedEnd> {
    this.lastAskedAt = Date.now();
    if (this.queue.length === 0 && this.ended === null) {
      this.subscription.checkAlive();
      let timer: ReturnType<typeof setTimeout> | undefined;
      // Both promises are made here, so the wake-up (resolved from the context that owns the
      // socket) continues in this request's context, where the timer can be cleared.
      const woken = new Promise<void>((resolve) => {
        this.wake = resolve;
      });
      const timedOut = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, Math.max(0, timeoutMs));
      });
      await Promise.race([woken, timedOut]);
      clearTimeout(timer);
      this.wake = undefined;
      this.lastAskedAt = Date.now();
    }
    if (this.queue.length > 0) {
      const events = this.queue;
      this.queue = [];
      return events;
    }
    return this.ended === null || this.ended === "closed" ? [] : this.ended;
  }

  /** Leaves the subscription; the last feed to leave closes it. */
  close(): void {
    if (this.ended !== null) return;
    this.ended = "closed";
    this.queue = [];
    this.subscription.remove(this);
  }
}

/** This isolate's socket to one owner's hub, and the feeds it serves. */
class Subscription {
  readonly feeds = new Set<JobEventFeed>();
  /** Settles once the hub has accepted the socket. */
  ready: Promise<void> = Promise.resolve();
  private lastHeardAt = Date.now();
  private closeSocket: (() => void) | undefined;
  private gone = false;

  constructor(
    private readonly ownerId: string,
    private readonly heartbeatMs: number,
  ) {}

  /** Opens the socket in the current request's context, which owns it from then on. */
  async open(env: Bindings): Promise<void> {
    const response = await hub(env, this.ownerId).fetch("https://job-events/subscribe", {
      headers: { Upgrade: "websocket" },
    });
    const socket = response.webSocket;
    if (!socket) {
      await response.body?.cancel();
      throw unavailable();
    }
    socket.accept();
    this.lastHeardAt = Date.now();
    socket.addEventListener("message", (message) => this.receive(message.data));
    socket.addEventListener("close", () => this.lose());
    socket.addEventListener("error", () => this.lose());
    const heartbeat = setInterval(() => {
      this.sweep();
      try {
        socket.send(SUBSCRIPTION_PING);
      } catch {
        this.lose();
      }
    }, this.heartbeatMs);
    const closeRequested = new Promise<void>((resolve) => {
      this.closeSocket = resolve;
    });
    void closeRequested.then(() => {
      clearInterval(heartbeat);
      try {
        socket.close(1000, "no more waiters");
      } catch {
        // Already closed.
      }
    });
    // Everyone may have left while the socket was opening.
    if (this.gone) this.closeSocket?.();
  }

  remove(feed: JobEventFeed): void {
    this.feeds.delete(feed);
    if (this.feeds.size === 0) this.retire();
  }

  /** A socket that has not answered a ping for a while is presumed lost: its feeds end. */
  checkAlive(): void {
    if (Date.now() - this.lastHeardAt > LOST_AFTER_HEARTBEATS * this.heartbeatMs) this.lose();
  }

  /** Ends every feed (they resubscribe or tell their client to reconnect) and forgets the socket. */
  lose(): void {
    this.retire();
    for (const feed of [...this.feeds]) feed.end("lost");
  }

  private retire(): void {
    if (this.gone) return;
    this.gone = true;
    if (subscriptions.get(this.ownerId) === this) subscriptions.delete(this.ownerId);
    this.closeSocket?.();
  }

  private receive(data: string | ArrayBuffer): void {
    this.lastHeardAt = Date.now();
    if (typeof data !== "string" || data === SUBSCRIPTION_PONG) return;
    const { events } = JSON.parse(data) as { events: JobEvent[] };
    for (const feed of [...this.feeds]) feed.deliver(events);
  }

  /** Drops feeds whose request stopped asking for events (a cancelled wait, a stalled stream). */
  private sweep(): void {
    const idleSince = Date.now() - IDLE_AFTER_HEARTBEATS * this.heartbeatMs;
    for (const feed of [...this.feeds]) if (feed.lastAskedAt < idleSince) feed.end("idle");
  }
}

/**
 * Subscribes to the owner's job events (all of them, or one job's) through this isolate's one
 * subscription to the owner's hub, opening it if this is the owner's first wait here. The feed is
 * live once this resolves, so state read afterwards cannot miss a change. Close it when done.
 */
export async function subscribeJobEvents(
  env: Bindings,
  ownerId: string,
  jobId?: string,
): Promise<JobEventFeed> {
  const config = readConfig(env);
  let subscription = subscriptions.get(ownerId);
  if (subscription === undefined) {
    const opening = new Subscription(ownerId, config.JOB_EVENTS_HEARTBEAT_SECONDS * 1000);
    subscriptions.set(ownerId, opening);
    opening.ready = opening.open(env);
    opening.ready.catch(() => opening.lose());
    subscription = opening;
  } else if (subscription.feeds.size >= config.JOB_EVENTS_MAX_SUBSCRIBERS) {
    throw unavailable();
  }
  const feed = new JobEventFeed(subscription, jobId ?? null, config.EVENT_STREAM_MAX_BUFFERED_EVENTS);
  subscription.feeds.add(feed);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timedOut = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), SUBSCRIBE_TIMEOUT_MS);
  });
  let outcome: "ready" | "timeout" | "failed";
  try {
    outcome = await Promise.race([subscription.ready.then(() => "ready" as const), timedOut]);
  } catch {
    outcome = "failed";
  } finally {
    clearTimeout(timer);
  }
  // The opening request may have been cancelled before the hub answered: give up on it then.
  if (outcome === "timeout") subscription.lose();
  if (outcome !== "ready") {
    feed.close();
    throw unavailable();
  }
  return feed;
}

/** The SSE `id` of a job event: the job and the state it reached. */
export const jobEventId = (event: JobEvent) => `${event.job.id}:${event.job.status}`;

/** SSE encoding of one event. */
export const encodeJobEvent = (event: JobEvent) =>
  `event: ${event.type}\nid: ${jobEventId(event)}\ndata: ${JSON.stringify(event)}\n\n`;

/**
 * Why the server ends an event stream: its feed ended, or the credential that opened it expired
 * (`credential_expired`: sign in again or refresh the token, then reconnect).
 */
export type StreamEnd = FeedEnd | "credential_expired";

/**
 * The last block of an event stream the server ends: the client should reconnect (after its
 * `retry:` delay) and re-read the state of what it follows, since events after `lastEventId`
 * (the stream's last job event, null when none) may have been missed. Without an `id:` line, so
 * a client's Last-Event-ID stays that of its last job event.
 */
export const encodeReconnect = (reason: StreamEnd, lastEventId: string | null) =>
  `event: reconnect\ndata: ${JSON.stringify({ type: "reconnect", reason, lastEventId })}\n\n`;

/**
 * Parses the events of a job event stream, skipping comments, until the stream ends or `signal`
 * aborts (which cancels the stream).
 */
export async function* readJobEvents(
  body: ReadableStream<Uint8Array>,
  signal: AbortSignal,
): AsyncGenerator<JobEvent> {
  const reader = body.getReader();
  const cancel = () => void reader.cancel().catch(() => {});
  signal.addEventListener("abort", cancel, { once: true });
  const decoder = new TextDecoder();
  let buffered = "";
  // workerd rejects a pending read of a cancelled stream instead of ending it.
  const next = () =>
    reader.read().catch((error: unknown) => {
      if (signal.aborted) return { done: true as const, value: undefined };
      throw error;
    });
  try {
    for (let read = await next(); !read.done; read = await next()) {
      buffered += decoder.decode(read.value, { stream: true });
      for (let end = buffered.indexOf("\n\n"); end !== -1; end = buffered.indexOf("\n\n")) {
        const lines = buffered.slice(0, end).split("\n");
        buffered = buffered.slice(end + 2);
        const data = lines.find((line) => line.startsWith("data: "));
        // Job events only: a `reconnect` block ends the stream right after it.
        const type = lines.find((line) => line.startsWith("event: "));
        if (data && (!type || type.startsWith("event: job."))) {
          yield JSON.parse(data.slice("data: ".length)) as JobEvent;
        }
      }
    }
  } finally {
    signal.removeEventListener("abort", cancel);
    cancel();
  }
}
