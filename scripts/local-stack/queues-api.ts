import { timingSafeEqual } from "node:crypto";
import { readLimitedText } from "./read-limited";

/**
 * Local stand-in for the subset of the Cloudflare Queues HTTP API that production uses, so the
 * local stack can run the inference service's real pull consumer against it
 * (inference/src/sources/pull-consumer.ts through inference/src/sources/queues-api.ts):
 *
 *   POST {base}/accounts/{account_id}/queues/{queue_id}/messages        { body, content_type, delay_seconds? }
 *   POST {base}/accounts/{account_id}/queues/{queue_id}/messages/batch  { messages: [...], delay_seconds? }
 *   POST {base}/accounts/{account_id}/queues/{queue_id}/messages/pull   { batch_size?, visibility_timeout_ms? }
 *   POST {base}/accounts/{account_id}/queues/{queue_id}/messages/ack    { acks?: [{lease_id}], retries?: [{lease_id, delay_seconds?}] }
 *
 * Every answer is the v4 envelope `{ success, errors, messages, result }`.
 *
 * Delivery model (one queue, all times lazily computed on the calls that look at them — no timer
 * per message):
 * - `attempts` counts deliveries: each pull that hands a message out increments it (first = 1)
 *   and leases it for `visibility_timeout_ms` under a fresh, unguessable `lease_id`.
 * - A delivery ends by an ack (the message is gone), a retry (visible again after
 *   `delay_seconds`) or its lease running out (visible again at once).
 * - A message may be delivered at most `1 + maxRetries` times. When a delivery with
 *   `attempts === 1 + maxRetries` ends without an ack, the message is dead-lettered instead of
 *   becoming visible again: at once for an explicit retry (its delay is not waited for), and for an
 *   expired lease on the next pull, ack or `stats()` that notices the expiry.
 * - Dead-lettering hands the messages to `deadLetter` (batched, one call at a time per queue). They
 *   leave the pullable set at once, so they are never delivered again, but stay in the backlog
 *   until `deadLetter` resolves. If it throws they are kept and offered again after
 *   DEAD_LETTER_RETRY_MS, by a single per-queue timer or by the first pull, ack or `stats()` after then.
 *   Without `deadLetter` they are dropped and only counted.
 * - Lease ids stay valid after their lease expires, as Cloudflare documents ("Queues aims to be
 *   permissive when it comes to lease IDs: if a consumer acknowledges a message by its lease ID
 *   after the visibility timeout is reached, Queues will still accept that acknowledgment" — also
 *   when the message was redelivered meanwhile). So a late ack removes the message (counted in
 *   `ackCount`), and the ack of the other holder then answers success with a warning. A late
 *   *retry* is applied only while no newer lease is live; otherwise it is ignored with a warning,
 *   so it cannot pull a message away from the consumer holding it now (Cloudflare does not
 *   document this case). A lease id that was never issued, or whose message is gone (acked or
 *   dead-lettered), is not counted and is reported in `result.warnings` (lease id → reason).
 */

export type LocalQueueSettings = {
  /** Deliveries after the first before a message is dead-lettered (Cloudflare's max_retries; default 3). */
  maxRetries?: number;
  /** Called with messages whose retries are spent (the dead-letter queue); when absent they are dropped and counted. */
  deadLetter?: (
    messages: Array<{ id: string; body: unknown; contentType: string; attempts: number }>,
  ) => Promise<void>;
};

export type LocalQueuesApiOptions = {
  port: number;
  accountId: string;
  apiToken: string;
  /** Queue ids served, each with its consumer settings. */
  queues: Record<string, LocalQueueSettings>;
  /** Largest request body accepted (default 1 MiB); larger ones get a 413. */
  maxBodyBytes?: number;
};

export type LocalQueuesApi = {
  /** Base URL, e.g. http://127.0.0.1:<port>/client/v4 (what INFERENCE_CF_API_BASE takes). */
  apiBase: string;
  /** In-process send (same semantics as POST .../messages/batch); throws on what that would refuse. */
  send(
    queueId: string,
    messages: Array<{ body: unknown; contentType?: "json" | "text"; delaySeconds?: number }>,
  ): void;
  /**
   * backlog: messages not yet acked nor dead-lettered (what pulls report as message_backlog_count;
   * includes leased, delayed and dead-letter-pending ones); leased: under a live lease; delayed:
   * waiting out a send or retry delay; deadLettered: handed to `deadLetter` (or dropped); acked.
   */
  stats(queueId: string): {
    backlog: number;
    leased: number;
    delayed: number;
    deadLettered: number;
    acked: number;
  };
  stop(): Promise<void>;
};

/** Cloudflare's documented limits. */
export const LIMITS = {
  maxBatchSize: 100,
  defaultBatchSize: 5,
  maxVisibilityTimeoutMs: 43_200_000,
  defaultVisibilityTimeoutMs: 30_000,
  maxDelaySeconds: 43_200,
  maxMessagesPerSend: 100,
  maxMessageBytes: 128 * 1024,
  maxBatchBytes: 256 * 1024,
} as const;

const DEFAULT_MAX_RETRIES = 3;
const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;
/** Wait before offering messages again to a `deadLetter` that threw. */
const DEAD_LETTER_RETRY_MS = 1000;

type ContentType = "json" | "text";

/** Error codes from Cloudflare's Queues and API docs; 10000 and 7003 are the API's generic ones. */
const CODES = {
  authentication: 10000,
  noRoute: 7003,
  methodNotAllowed: 7001,
  queueNotFound: 10104,
  messageMetadataInvalid: 10203,
  messageSizeOutOfBounds: 10204,
  batchSizeOutOfBounds: 10205,
  batchCountOutOfBounds: 10206,
  bodyInvalid: 10207,
  bodyMalformed: 10208,
  internal: 15000,
} as const;

class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

type StoredMessage = {
  id: string;
  /** As a pull consumer receives it: JSON text for `json`, the string for `text`. */
  body: string;
  contentType: ContentType;
  timestampMs: number;
  attempts: number;
  /** Not deliverable before this (send or retry delay, or the end of an expired lease). */
  visibleAt: number;
  lease: { id: string; expiresAt: number } | null;
  /** Every lease id issued for this message, so late acks can still name it. */
  leaseIds: string[];
};

type NewMessage = { body: string; contentType: ContentType; delaySeconds: number };

type DeadLetterEntry = { id: string; body: unknown; contentType: string; attempts: number };

function randomHex(bytes: number): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(bytes))).toString("hex");
}

function randomLeaseId(): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64url");
}

/**
 * A body as the pull API delivers it: the pull-consumer guide says `json` (like `bytes`) bodies
 * are base64-encoded and `text` bodies plain UTF-8.
 */
function pulledBody(message: StoredMessage): string {
  return message.contentType === "json" ? Buffer.from(message.body, "utf8").toString("base64") : message.body;
}

/** What a pull consumer decodes back to the sent value. */
function originalBody(message: StoredMessage): unknown {
  return message.contentType === "json" ? JSON.parse(message.body) : message.body;
}

class LocalQueue {
  /** Insertion order is send order, so iterating gives oldest first. */
  private readonly messages = new Map<string, StoredMessage>();
  private readonly leases = new Map<string, string>();
  /** Out of the pullable set, waiting for `deadLetter` to take them. */
  private deadPending: StoredMessage[] = [];
  private deadLetterRun: Promise<void> | null = null;
  private deadLetterRetryAt = 0;
  private deadLetterTimer: ReturnType<typeof setTimeout> | null = null;
  private stopped = false;
  private acked = 0;
  private deadLettered = 0;
  private readonly maxDeliveries: number;

  constructor(private readonly settings: LocalQueueSettings) {
    const maxRetries = settings.maxRetries ?? DEFAULT_MAX_RETRIES;
    if (!Number.isInteger(maxRetries) || maxRetries < 0)
      throw new Error("maxRetries must be an integer >= 0");
    this.maxDeliveries = 1 + maxRetries;
  }

  send(batch: NewMessage[], now = Date.now()): void {
    for (const message of batch) {
      const id = randomHex(16);
      this.messages.set(id, {
        id,
        body: message.body,
        contentType: message.contentType,
        timestampMs: now,
        attempts: 0,
        visibleAt: now + message.delaySeconds * 1000,
        lease: null,
        leaseIds: [],
      });
    }
  }

  pull(batchSize: number, visibilityTimeoutMs: number, now = Date.now()) {
    this.sweep(now);
    const pulled = [];
    for (const message of this.messages.values()) {
      if (pulled.length >= batchSize) break;
      if (message.lease !== null || message.visibleAt > now) continue;
      message.attempts++;
      const leaseId = randomLeaseId();
      message.lease = { id: leaseId, expiresAt: now + visibilityTimeoutMs };
      message.leaseIds.push(leaseId);
      this.leases.set(leaseId, message.id);
      pulled.push({
        body: pulledBody(message),
        id: message.id,
        timestamp_ms: message.timestampMs,
        attempts: message.attempts,
        metadata: { "CF-sourceMessageSource": "api", "CF-Content-Type": message.contentType },
        lease_id: leaseId,
      });
    }
    return { messages: pulled, message_backlog_count: this.backlog(), metadata: { metrics: this.metrics() } };
  }

  ack(acks: string[], retries: Array<{ leaseId: string; delaySeconds: number }>, now = Date.now()) {
    let ackCount = 0;
    let retryCount = 0;
    const warnings: Record<string, string> = {};
    for (const leaseId of acks) {
      const message = this.byLease(leaseId);
      if (message === undefined) {
        warnings[leaseId] = "lease id is unknown, or its message was already acknowledged or dead-lettered";
        continue;
      }
      // Accepted even when the lease has expired or a newer one was issued (see the module comment).
      this.remove(message);
      this.acked++;
      ackCount++;
    }
    for (const { leaseId, delaySeconds } of retries) {
      const message = this.byLease(leaseId);
      if (message === undefined) {
        warnings[leaseId] = "lease id is unknown, or its message was already acknowledged or dead-lettered";
        continue;
      }
      const live = message.lease !== null && message.lease.expiresAt > now;
      if (live && message.lease?.id !== leaseId) {
        warnings[leaseId] = "lease expired and the message was delivered again; retry ignored";
        continue;
      }
      retryCount++;
      message.lease = null;
      if (message.attempts >= this.maxDeliveries) {
        this.toDeadLetter(message);
      } else {
        message.visibleAt = now + delaySeconds * 1000;
      }
    }
    // After the acks, so a late ack of an expired lease wins over dead-lettering it.
    this.sweep(now);
    return { ackCount, retryCount, warnings };
  }

  stats(now = Date.now()) {
    this.sweep(now);
    let leased = 0;
    let delayed = 0;
    for (const message of this.messages.values()) {
      if (message.lease !== null) leased++;
      else if (message.visibleAt > now) delayed++;
    }
    return { backlog: this.backlog(), leased, delayed, deadLettered: this.deadLettered, acked: this.acked };
  }

  metrics() {
    let bytes = 0;
    let oldest = 0;
    for (const message of [...this.messages.values(), ...this.deadPending]) {
      bytes += Buffer.byteLength(message.body);
      if (oldest === 0 || message.timestampMs < oldest) oldest = message.timestampMs;
    }
    return { backlog_count: this.backlog(), backlog_bytes: bytes, oldest_message_timestamp_ms: oldest };
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.deadLetterTimer !== null) clearTimeout(this.deadLetterTimer);
    this.deadLetterTimer = null;
    await this.deadLetterRun;
  }

  private backlog(): number {
    return this.messages.size + this.deadPending.length;
  }

  private byLease(leaseId: string): StoredMessage | undefined {
    const id = this.leases.get(leaseId);
    return id === undefined ? undefined : this.messages.get(id);
  }

  /**
   * Ends expired leases; a message whose deliveries are spent goes to the dead-letter queue. Runs at
   * the start of every pull and `stats()` and at the end of every ack call, then starts `deadLetter`.
   */
  private sweep(now: number): void {
    for (const message of this.messages.values()) {
      if (message.lease === null || message.lease.expiresAt > now) continue;
      message.visibleAt = message.lease.expiresAt;
      message.lease = null;
      if (message.attempts >= this.maxDeliveries) this.toDeadLetter(message);
    }
    // Also offers again what a failed `deadLetter` call left, once its wait is over.
    if (this.deadPending.length > 0 && now >= this.deadLetterRetryAt) void this.runDeadLetter();
  }

  private remove(message: StoredMessage): void {
    this.messages.delete(message.id);
    for (const leaseId of message.leaseIds) this.leases.delete(leaseId);
  }

  private toDeadLetter(message: StoredMessage): void {
    this.remove(message);
    this.deadPending.push(message);
  }

  /** Hands every pending message to `deadLetter`, one call at a time; on failure waits to retry. */
  private runDeadLetter(): Promise<void> {
    if (this.deadLetterRun === null) {
      // `.finally` runs after this assignment even when the loop never awaits.
      const run = this.deadLetterLoop().finally(() => {
        if (this.deadLetterRun === run) this.deadLetterRun = null;
      });
      this.deadLetterRun = run;
    }
    return this.deadLetterRun;
  }

  private async deadLetterLoop(): Promise<void> {
    while (this.deadPending.length > 0 && !this.stopped) {
      const batch = this.deadPending.slice();
      if (this.settings.deadLetter !== undefined) {
        const entries: DeadLetterEntry[] = batch.map((message) => ({
          id: message.id,
          body: originalBody(message),
          contentType: message.contentType,
          attempts: message.attempts,
        }));
        try {
          await this.settings.deadLetter(entries);
        } catch {
          // Kept; offered again by the timer or the first pull after the wait.
          this.deadLetterRetryAt = Date.now() + DEAD_LETTER_RETRY_MS;
          this.scheduleDeadLetterRetry();
          return;
        }
      }
      const done = new Set(batch);
      this.deadPending = this.deadPending.filter((message) => !done.has(message));
      this.deadLettered += batch.length;
    }
  }

  private scheduleDeadLetterRetry(): void {
    if (this.stopped || this.deadLetterTimer !== null) return;
    this.deadLetterTimer = setTimeout(() => {
      this.deadLetterTimer = null;
      if (this.deadPending.length > 0) void this.runDeadLetter();
    }, DEAD_LETTER_RETRY_MS);
    this.deadLetterTimer.unref?.();
  }
}

export function startLocalQueuesApi(options: LocalQueuesApiOptions): LocalQueuesApi {
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const queues = new Map<string, LocalQueue>();
  for (const [queueId, settings] of Object.entries(options.queues))
    queues.set(queueId, new LocalQueue(settings));
  const expectedAuth = Buffer.from(`Bearer ${options.apiToken}`);

  function authorized(request: Request): boolean {
    const given = Buffer.from(request.headers.get("authorization") ?? "");
    return given.length === expectedAuth.length && timingSafeEqual(given, expectedAuth);
  }

  async function handle(request: Request): Promise<Response> {
    if (!authorized(request)) throw new ApiError(401, CODES.authentication, "Authentication error");
    const route = parseRoute(new URL(request.url).pathname);
    if (route === null || route.accountId !== options.accountId) {
      throw new ApiError(404, CODES.noRoute, "No route for the URI");
    }
    const queue = queues.get(route.queueId);
    if (queue === undefined) throw new ApiError(404, CODES.queueNotFound, "Queue does not exist");
    if (request.method !== "POST") {
      throw new ApiError(405, CODES.methodNotAllowed, `Method ${request.method} not available for that URI`);
    }
    const body = await readJsonObject(request, maxBodyBytes);
    switch (route.action) {
      case "send":
        queue.send([parseSendMessage(body, undefined)]);
        return envelope({ metadata: { metrics: queue.metrics() } });
      case "batch":
        queue.send(parseSendBatch(body));
        return envelope({ metadata: { metrics: queue.metrics() } });
      case "pull": {
        const { batchSize, visibilityTimeoutMs } = parsePull(body);
        return envelope(queue.pull(batchSize, visibilityTimeoutMs));
      }
      case "ack": {
        const { acks, retries } = parseAck(body);
        return envelope(queue.ack(acks, retries));
      }
    }
  }

  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: options.port,
    async fetch(request) {
      try {
        return await handle(request);
      } catch (error) {
        if (error instanceof ApiError) return errorEnvelope(error.status, error.code, error.message);
        return errorEnvelope(500, CODES.internal, `Internal error: ${(error as Error)?.message ?? error}`);
      }
    },
  });

  function queueOf(queueId: string): LocalQueue {
    const queue = queues.get(queueId);
    if (queue === undefined) throw new Error(`queue ${queueId} is not served by this local Queues API`);
    return queue;
  }

  return {
    apiBase: `http://127.0.0.1:${server.port}/client/v4`,
    send(queueId, messages) {
      const queue = queueOf(queueId);
      try {
        const parsed = parseSendBatch({
          messages: messages.map((m) => ({
            body: m.body,
            content_type: m.contentType ?? "json",
            delay_seconds: m.delaySeconds,
          })),
        });
        queue.send(parsed);
      } catch (error) {
        if (error instanceof ApiError) throw new Error(`send to ${queueId} refused: ${error.message}`);
        throw error;
      }
    },
    stats: (queueId) => queueOf(queueId).stats(),
    async stop() {
      await server.stop(true);
      await Promise.all([...queues.values()].map((queue) => queue.stop()));
    },
  };
}

type Route = { accountId: string; queueId: string; action: "send" | "batch" | "pull" | "ack" };

function parseRoute(pathname: string): Route | null {
  const match = /^\/client\/v4\/accounts\/([^/]+)\/queues\/([^/]+)\/messages(?:\/(batch|pull|ack))?\/?$/.exec(
    pathname,
  );
  if (match === null) return null;
  try {
    return {
      accountId: decodeURIComponent(match[1] as string),
      queueId: decodeURIComponent(match[2] as string),
      action: (match[3] as "batch" | "pull" | "ack" | undefined) ?? "send",
    };
  } catch {
    return null;
  }
}

function envelope(result: unknown): Response {
  return Response.json({ success: true, errors: [], messages: [], result });
}

function errorEnvelope(status: number, code: number, message: string): Response {
  return Response.json(
    { success: false, errors: [{ code, message }], messages: [], result: null },
    { status },
  );
}

/** Reads at most `limit` bytes (declared length checked first, the stream cut off too); empty is `{}`. */
async function readJsonObject(request: Request, limit: number): Promise<Record<string, unknown>> {
  const text = await readLimitedText(
    request,
    limit,
    () => new ApiError(413, CODES.batchSizeOutOfBounds, `Request body larger than ${limit} bytes`),
  );
  if (text.trim() === "") return {};
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (error) {
    throw new ApiError(
      400,
      CODES.bodyMalformed,
      `Request body is not valid JSON: ${(error as Error).message}`,
    );
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new ApiError(400, CODES.bodyInvalid, "Request body must be a JSON object");
  }
  return body as Record<string, unknown>;
}

function integerIn(
  value: unknown,
  name: string,
  min: number,
  max: number,
  fallback: number,
  code: number = CODES.bodyInvalid,
): number {
  if (value === undefined || value === null) return fallback;
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    throw new ApiError(400, code, `${name} must be an integer from ${min} to ${max}`);
  }
  return value;
}

function parsePull(body: Record<string, unknown>) {
  return {
    batchSize: integerIn(body.batch_size, "batch_size", 1, LIMITS.maxBatchSize, LIMITS.defaultBatchSize),
    visibilityTimeoutMs: integerIn(
      body.visibility_timeout_ms,
      "visibility_timeout_ms",
      1,
      LIMITS.maxVisibilityTimeoutMs,
      LIMITS.defaultVisibilityTimeoutMs,
    ),
  };
}

function leaseIdOf(entry: unknown, where: string): string {
  if (typeof entry !== "object" || entry === null || !("lease_id" in entry)) {
    throw new ApiError(400, CODES.bodyInvalid, `${where} must be an object with a lease_id`);
  }
  const leaseId = entry.lease_id;
  if (typeof leaseId !== "string" || leaseId === "") {
    throw new ApiError(400, CODES.bodyInvalid, `${where}.lease_id must be a non-empty string`);
  }
  return leaseId;
}

function arrayField(body: Record<string, unknown>, name: string): unknown[] {
  const value = body[name];
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new ApiError(400, CODES.bodyInvalid, `${name} must be an array`);
  return value;
}

function parseAck(body: Record<string, unknown>) {
  const acks = arrayField(body, "acks").map((entry, index) => leaseIdOf(entry, `acks[${index}]`));
  const retries = arrayField(body, "retries").map((entry, index) => {
    const leaseId = leaseIdOf(entry, `retries[${index}]`);
    const delaySeconds = integerIn(
      (entry as { delay_seconds?: unknown }).delay_seconds,
      `retries[${index}].delay_seconds`,
      0,
      LIMITS.maxDelaySeconds,
      0,
      CODES.messageMetadataInvalid,
    );
    return { leaseId, delaySeconds };
  });
  return { acks, retries };
}

/**
 * One message of a send: `json` bodies are stored as their JSON text and `text` bodies as the
 * string, which is what a pull consumer gets back (Cloudflare's default content type is json).
 */
function parseSendMessage(entry: unknown, batchDelaySeconds: number | undefined): NewMessage {
  if (typeof entry !== "object" || entry === null || Array.isArray(entry)) {
    throw new ApiError(400, CODES.bodyInvalid, "a message must be a JSON object");
  }
  const message = entry as Record<string, unknown>;
  const contentType = message.content_type ?? "json";
  if (contentType !== "json" && contentType !== "text") {
    throw new ApiError(
      400,
      CODES.messageMetadataInvalid,
      `content_type must be "json" or "text" (got ${JSON.stringify(contentType)})`,
    );
  }
  if (!("body" in message) || message.body === undefined) {
    throw new ApiError(400, CODES.bodyInvalid, "a message must have a body");
  }
  let body: string;
  if (contentType === "text") {
    if (typeof message.body !== "string") {
      throw new ApiError(400, CODES.bodyInvalid, 'a "text" message body must be a string');
    }
    body = message.body;
  } else {
    let text: string | undefined;
    try {
      text = JSON.stringify(message.body);
    } catch (error) {
      throw new ApiError(
        400,
        CODES.bodyInvalid,
        `body cannot be serialized as JSON: ${(error as Error).message}`,
      );
    }
    if (typeof text !== "string")
      throw new ApiError(400, CODES.bodyInvalid, "body cannot be serialized as JSON");
    body = text;
  }
  if (Buffer.byteLength(body) > LIMITS.maxMessageBytes) {
    throw new ApiError(
      400,
      CODES.messageSizeOutOfBounds,
      `message larger than ${LIMITS.maxMessageBytes} bytes`,
    );
  }
  const delaySeconds = integerIn(
    message.delay_seconds,
    "delay_seconds",
    0,
    LIMITS.maxDelaySeconds,
    batchDelaySeconds ?? 0,
    CODES.messageMetadataInvalid,
  );
  return { body, contentType, delaySeconds };
}

/** All or nothing: one invalid message refuses the whole batch. */
function parseSendBatch(body: Record<string, unknown>): NewMessage[] {
  if (!Array.isArray(body.messages)) throw new ApiError(400, CODES.bodyInvalid, "messages must be an array");
  if (body.messages.length > LIMITS.maxMessagesPerSend) {
    throw new ApiError(
      400,
      CODES.batchCountOutOfBounds,
      `at most ${LIMITS.maxMessagesPerSend} messages per batch`,
    );
  }
  const batchDelay = integerIn(
    body.delay_seconds,
    "delay_seconds",
    0,
    LIMITS.maxDelaySeconds,
    0,
    CODES.messageMetadataInvalid,
  );
  const messages = body.messages.map((entry) => parseSendMessage(entry, batchDelay));
  const total = messages.reduce((sum, message) => sum + Buffer.byteLength(message.body), 0);
  if (total > LIMITS.maxBatchBytes) {
    throw new ApiError(400, CODES.batchSizeOutOfBounds, `batch larger than ${LIMITS.maxBatchBytes} bytes`);
  }
  return messages;
}
