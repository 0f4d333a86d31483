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
// later ones of that owner are served from it. Workers bind an I/O object to the request that
// created it, so every call on the socket (accept, ping, close) is made by one loop running in the
// opening request's context, which `waitUntil` keeps alive for as long as the socket lives. Other
// requests only change plain state and settle promises their own context created (the socket's
// owner wakes a feed, a feed pokes the owner's loop), never touching each other's I/O.
//
// When the opening request is done, the subscription drains: it leaves the registry, and at its
// next call each remaining feed moves, in its own request's context, to a fresh subscription (opening it if it is
// first), then leaves the old one, whose loop then closes the socket. The two overlap, so nothing
// published meanwhile is missed; a batch both deliver is dropped the second time by its id.

/** What an isolate's hub socket sends to keep itself alive, and the hub's automatic answer. */
export const SUBSCRIPTION_PING = "ping";
export const SUBSCRIPTION_PONG = "pong";

/** One publish as the hub sends it: an id (to drop a copy seen twice while moving) and its events. */
export type JobEventBatch = { id: string; events: JobEvent[] };

/** What keeps a request's context alive after it answered: its `ExecutionContext`. */
export type RequestLifetime = { waitUntil(promise: Promise<unknown>): void };

/** How long a wait or stream waits for the hub to accept a new subscription before giving up. */
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
 * The longest a draining subscription serves feeds that have not moved yet (their requests are
 * presumed gone): well within the 30 s the platform grants `waitUntil` after a response.
 */
const DRAIN_MAX_MS = 20_000;
/** Batch ids a feed remembers, to drop the second copy of a batch while it moves. */
const REMEMBERED_BATCHES = 64;

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

/** A promise settled by `wake`, or after `ms`, whichever is first; made in the caller's context. */
function sleep(ms: number, onWake: (wake: () => void) => void): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const woken = new Promise<void>((resolve) => onWake(resolve));
  const timedOut = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, Math.max(0, ms));
  });
  return Promise.race([woken, timedOut]).finally(() => clearTimeout(timer));
}

/** Who a feed serves: the request's bindings and lifetime, the owner and job it follows. */
type FeedRequest = {
  env: Bindings;
  lifetime: RequestLifetime;
  ownerId: string;
  jobId: string | null;
  maxBuffered: number;
  maxSubscribers: number;
  heartbeatMs: number;
};

/**
 * One wait's or stream's share of the owner's events: a bounded queue filled by the subscription.
 * Its methods other than `deliver` and `end` are called only by its own request.
 */
export class JobEventFeed {
  private queue: JobEvent[] = [];
  private wake: (() => void) | undefined;
  private ended: FeedEnd | "closed" | null = null;
  private readonly seen: string[] = [];
  /** The subscriptions delivering to it: one, or two while it moves. */
  private attached: Subscription[] = [];
  /** When the feed's owner last asked for events (see `Subscription.sweep`). */
  lastAskedAt = Date.now();

  constructor(private readonly request: FeedRequest) {}

  /** Joins the owner's subscription in this isolate (opening it if none), once it is live. */
  async start(): Promise<void> {
    if (!(await this.join())) {
      this.close();
      throw unavailable();
    }
  }

  /** Queues the events of its job (or all); past the bound, the feed ends instead. */
  deliver(batch: JobEventBatch): void {
    if (this.ended !== null || this.seen.includes(batch.id)) return;
    this.seen.push(batch.id);
    if (this.seen.length > REMEMBERED_BATCHES) this.seen.shift();
    const { jobId } = this.request;
    const mine = jobId === null ? batch.events : batch.events.filter((event) => event.job.id === jobId);
    if (mine.length === 0) return;
    if (this.queue.length + mine.length > this.request.maxBuffered) {
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
    this.detach();
    // An idle feed's request is presumed gone: waking it would resume a cancelled request. Were
    // it alive, its next call would see the end within a heartbeat.
    if (reason !== "idle") this.wake?.();
  }

  /**
   * The events that arrived since the last call, waiting up to `timeoutMs` for some (an empty
   * list when none came); once the feed has ended and its events were taken, why it ended.
   */
  async next(timeoutMs: number): Promise<JobEvent[] | FeedEnd> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      this.lastAskedAt = Date.now();
      if (this.queue.length > 0 || this.ended !== null) break;
      if (this.attached.at(-1)?.draining) {
        await this.move();
        continue;
      }
      if (Date.now() >= deadline) break;
      this.attached.at(-1)?.checkAlive();
      if (this.ended !== null) break;
      await sleep(deadline - Date.now(), (wake) => {
        this.wake = wake;
      });
      this.wake = undefined;
    }
    this.lastAskedAt = Date.now();
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
    this.detach();
  }

  /** Joins the owner's live subscription, opening one in this request's context if none. */
  private async join(): Promise<boolean> {
    const { ownerId } = this.request;
    let subscription = subscriptions.get(ownerId);
    if (subscription === undefined) {
      subscription = new Subscription(ownerId, this.request.heartbeatMs, this);
      subscriptions.set(ownerId, subscription);
      this.request.lifetime.waitUntil(subscription.open(this.request.env));
    } else if (subscription.feeds.size >= this.request.maxSubscribers) {
      return false;
    }
    subscription.feeds.add(this);
    this.attached.push(subscription);
    if (await subscription.live(SUBSCRIBE_TIMEOUT_MS)) return true;
    this.attached = this.attached.filter((attached) => attached !== subscription);
    subscription.remove(this);
    return false;
  }

  /** Moves to a fresh subscription before leaving the draining one; lost if none can be had. */
  private async move(): Promise<void> {
    const draining = this.attached.filter((subscription) => subscription.draining);
    if (!(await this.join())) {
      this.end("lost");
      return;
    }
    this.attached = this.attached.filter((subscription) => !draining.includes(subscription));
    for (const subscription of draining) subscription.remove(this);
  }

  private detach(): void {
    const attached = this.attached;
    this.attached = [];
    for (const subscription of attached) subscription.remove(this);
  }
}

/**
 * This isolate's socket to one owner's hub, and the feeds it serves. Only `open` (and the loop it
 * runs) touches the socket, in the context of the request that opened it (`opener`'s).
 */
class Subscription {
  readonly feeds = new Set<JobEventFeed>();
  /** The opening request is done: feeds move off it, and it takes no new ones. */
  draining = false;
  private state: "opening" | "live" | "gone" = "opening";
  private drainDeadline = Number.POSITIVE_INFINITY;
  private lastHeardAt = Date.now();
  /** Wakes the socket's loop (settles a promise made in the opener's context). */
  private poke: (() => void) | undefined;
  /** Resolvers of `live` calls waiting for the socket, each made in its caller's context. */
  private readonly waiting = new Set<(live: boolean) => void>();

  constructor(
    private readonly ownerId: string,
    private readonly heartbeatMs: number,
    private readonly opener: JobEventFeed,
  ) {}

  /**
   * Opens the socket and serves it until no feed is left, it is lost, or its drain ends, then
   * closes it. Runs in the opener's context, which waits until it settles.
   */
  async open(env: Bindings): Promise<void> {
    let socket: WebSocket | undefined;
    try {
      const response = await hub(env, this.ownerId).fetch("https://job-events/subscribe", {
        headers: { Upgrade: "websocket" },
      });
      socket = response.webSocket ?? undefined;
      if (!socket) {
        await response.body?.cancel();
        return;
      }
      socket.accept();
      this.lastHeardAt = Date.now();
      socket.addEventListener("message", (message) => this.receive(message.data));
      socket.addEventListener("close", () => this.lose());
      socket.addEventListener("error", () => this.lose());
      if (this.state === "opening") this.state = "live";
      this.settleWaiting();
      await this.serve(socket);
    } catch {
      // Refused, cancelled or broken: the feeds below resubscribe.
    } finally {
      try {
        socket?.close(1000, "no more waiters");
      } catch {
        // Already closed.
      }
      this.lose();
    }
  }

  /** Whether the socket is (or becomes, within `timeoutMs`) live; waits in the caller's context. */
  async live(timeoutMs: number): Promise<boolean> {
    if (this.state !== "opening") return this.state === "live";
    let settle: ((live: boolean) => void) | undefined;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const outcome = await new Promise<boolean>((resolve) => {
      settle = resolve;
      this.waiting.add(resolve);
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    clearTimeout(timer);
    if (settle) this.waiting.delete(settle);
    // The hub never answered (the opening request may be stuck): later waits open another.
    if (!outcome && this.state === "opening") this.lose();
    return outcome;
  }

  remove(feed: JobEventFeed): void {
    if (!this.feeds.delete(feed)) return;
    if (this.feeds.size > 0) {
      if (feed === this.opener) this.drain();
      return;
    }
    // The last one out: no one joins it any more, and its loop closes the socket.
    if (subscriptions.get(this.ownerId) === this) subscriptions.delete(this.ownerId);
    this.poke?.();
  }

  /** A socket that has not answered a ping for a while is presumed lost: its feeds end. */
  checkAlive(): void {
    if (this.state === "live" && Date.now() - this.lastHeardAt > LOST_AFTER_HEARTBEATS * this.heartbeatMs) {
      this.lose();
    }
  }

  /** Ends every feed (they resubscribe, or tell their client to reconnect) and stops the loop. */
  private lose(): void {
    if (subscriptions.get(this.ownerId) === this) subscriptions.delete(this.ownerId);
    if (this.state === "gone") return;
    this.state = "gone";
    this.settleWaiting();
    this.poke?.();
    for (const feed of [...this.feeds]) feed.end("lost");
  }

  /**
   * The opener is done: take no new feeds; the others move at their next call, within a heartbeat
   * (waking them here could resume a request that is already gone).
   */
  private drain(): void {
    if (this.draining) return;
    this.draining = true;
    this.drainDeadline = Date.now() + DRAIN_MAX_MS;
    if (subscriptions.get(this.ownerId) === this) subscriptions.delete(this.ownerId);
  }

  private settleWaiting(): void {
    for (const settle of [...this.waiting]) settle(this.state === "live");
    this.waiting.clear();
  }

  private done(): boolean {
    return this.state === "gone" || this.feeds.size === 0 || Date.now() >= this.drainDeadline;
  }

  /** The socket's loop: a ping and a sweep each heartbeat, until it is done. */
  private async serve(socket: WebSocket): Promise<void> {
    let pingAt = Date.now() + this.heartbeatMs;
    while (!this.done()) {
      await sleep(Math.min(pingAt, this.drainDeadline) - Date.now(), (wake) => {
        this.poke = wake;
      });
      this.poke = undefined;
      if (this.done() || Date.now() < pingAt) continue;
      pingAt = Date.now() + this.heartbeatMs;
      this.sweep();
      socket.send(SUBSCRIPTION_PING);
    }
  }

  private receive(data: string | ArrayBuffer): void {
    this.lastHeardAt = Date.now();
    if (typeof data !== "string" || data === SUBSCRIPTION_PONG) return;
    const batch = JSON.parse(data) as JobEventBatch;
    for (const feed of [...this.feeds]) feed.deliver(batch);
  }

  /** Drops feeds whose request stopped asking for events (a cancelled wait, a stalled stream). */
  private sweep(): void {
    const idleSince = Date.now() - IDLE_AFTER_HEARTBEATS * this.heartbeatMs;
    for (const feed of [...this.feeds]) if (feed.lastAskedAt < idleSince) feed.end("idle");
  }
}

/**
 * Subscribes to the owner's job events (all of them, or one job's) through this isolate's one
 * subscription to the owner's hub, opening it, in this request's context, if this is the owner's
 * first wait here (`lifetime` then keeps the request's context until the socket closes). The feed
 * is live once this resolves, so state read afterwards cannot miss a change. Close it when done.
 */
export async function subscribeJobEvents(
  env: Bindings,
  lifetime: RequestLifetime,
  ownerId: string,
  jobId?: string,
): Promise<JobEventFeed> {
  const config = readConfig(env);
  const feed = new JobEventFeed({
    env,
    lifetime,
    ownerId,
    jobId: jobId ?? null,
    maxBuffered: config.EVENT_STREAM_MAX_BUFFERED_EVENTS,
    maxSubscribers: config.JOB_EVENTS_MAX_SUBSCRIBERS,
    heartbeatMs: config.JOB_EVENTS_HEARTBEAT_SECONDS * 1000,
  });
  await feed.start();
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
