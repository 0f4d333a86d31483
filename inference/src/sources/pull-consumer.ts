import {
  type DetectMessage,
  type EvaluateMessage,
  type QueueMessage,
  QueueMessageSchema,
} from "@common/contracts/detect-message";
import { errorMessage } from "@common/logger";
import { retryDelaySeconds } from "@common/retry";
import { backoffDelay, sleep } from "../core/backoff";
import type { MessageOutcome } from "../core/processor";
import type { Logger } from "../log";
import type { Metrics } from "../metrics";
import { decodePulledBody, type PulledMessage, type QueuesApi, type Retry } from "./queues-api";

export interface PullConsumerOptions {
  batchSize: number;
  visibilityTimeoutMs: number;
  /** Messages leased and not yet acked/retried at once; no pull happens while at the limit. */
  maxInFlight: number;
  /** Pause after a pull that returned nothing. */
  idleMs: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
  /** delay_seconds of a retry: min(max, base·2^(attempts−1)). */
  retryBaseDelaySeconds: number;
  retryMaxDelaySeconds: number;
  /** Attempts for one ack call before its leases are left to expire (the messages come back). */
  ackAttempts?: number;
}

export type MessageHandler = (message: DetectMessage, attempts: number) => Promise<MessageOutcome>;
/** Evaluations (`kind: "evaluate"`); without one they are retried, for a consumer that runs them. */
export type EvaluationHandler = (message: EvaluateMessage, attempts: number) => Promise<MessageOutcome>;

/**
 * Cloudflare Queues HTTP pull consumer: leases batches while it has room, hands each message to
 * the processing core, and acks or retries by lease id once the outcome is known. Messages it
 * never settles (crash, shutdown mid-pull) become visible again when their lease times out.
 */
export class PullConsumer {
  private readonly abort = new AbortController();
  private loop: Promise<void> | null = null;
  private readonly handlers = new Set<Promise<void>>();
  private slotFreed: (() => void) | null = null;
  private acks: string[] = [];
  private retries: Retry[] = [];
  private flushing: Promise<void> | null = null;

  constructor(
    private readonly api: QueuesApi,
    private readonly handle: MessageHandler,
    private readonly options: PullConsumerOptions,
    private readonly logger: Logger,
    private readonly metrics: Metrics,
    private readonly evaluate?: EvaluationHandler,
  ) {}

  get inFlight(): number {
    return this.handlers.size;
  }

  start(): void {
    this.loop ??= this.run();
  }

  /** Stops pulling, lets every leased message finish and settles it; resolves when done. */
  async stop(): Promise<void> {
    this.abort.abort();
    this.slotFreed?.();
    await this.loop;
    while (this.handlers.size > 0) await Promise.all(this.handlers);
    await this.flush();
  }

  private async run(): Promise<void> {
    const { signal } = this.abort;
    let failures = 0;
    while (!signal.aborted) {
      const room = this.options.maxInFlight - this.handlers.size;
      if (room <= 0) {
        await new Promise<void>((resolve) => {
          this.slotFreed = resolve;
        });
        continue;
      }
      let messages: PulledMessage[];
      try {
        messages = await this.api.pull(
          Math.min(this.options.batchSize, room),
          this.options.visibilityTimeoutMs,
          signal,
        );
        this.metrics.pullRequests.inc({ operation: "pull", result: "ok" });
        failures = 0;
      } catch (error) {
        if (signal.aborted) break;
        this.metrics.pullRequests.inc({ operation: "pull", result: "error" });
        const wait =
          (error as { retryAfterMs?: number | null }).retryAfterMs ??
          backoffDelay(failures, this.options.backoffBaseMs, this.options.backoffMaxMs);
        failures++;
        this.logger.warn("queue pull failed", { error: errorMessage(error), retryInMs: wait });
        await sleep(wait, signal);
        continue;
      }
      if (messages.length === 0) {
        await sleep(this.options.idleMs, signal);
        continue;
      }
      for (const message of messages) {
        const handler = this.settle(message).finally(() => {
          this.handlers.delete(handler);
          const wake = this.slotFreed;
          this.slotFreed = null;
          wake?.();
        });
        this.handlers.add(handler);
      }
    }
  }

  private async settle(message: PulledMessage): Promise<void> {
    this.record(message, await this.outcomeOf(message));
  }

  private async outcomeOf(message: PulledMessage): Promise<MessageOutcome> {
    let body: QueueMessage;
    try {
      body = QueueMessageSchema.parse(decodePulledBody(message));
    } catch (error) {
      // Without a readable job or evaluation id nobody can be told; retrying walks it to the dead-letter queue.
      this.logger.error("unreadable queue message", {
        messageId: message.id,
        error: errorMessage(error),
      });
      return { outcome: "retry", reason: "unreadable message body" };
    }
    try {
      if (body.kind !== "evaluate") return await this.handle(body, message.attempts);
      if (this.evaluate === undefined) return { outcome: "retry", reason: "evaluations are not served here" };
      return await this.evaluate(body, message.attempts);
    } catch (error) {
      return { outcome: "retry", reason: errorMessage(error) };
    }
  }

  private record(message: PulledMessage, outcome: MessageOutcome): void {
    if (outcome.outcome === "ack") {
      this.acks.push(message.lease_id);
    } else {
      const { retryBaseDelaySeconds, retryMaxDelaySeconds } = this.options;
      const delay_seconds = retryDelaySeconds(message.attempts, retryBaseDelaySeconds, retryMaxDelaySeconds);
      this.retries.push({ lease_id: message.lease_id, delay_seconds });
    }
    void this.flush();
  }

  /** Sends every pending ack/retry in as few calls as possible (one at a time). */
  private flush(): Promise<void> {
    this.flushing ??= (async () => {
      try {
        while (this.acks.length > 0 || this.retries.length > 0) {
          const acks = this.acks.splice(0);
          const retries = this.retries.splice(0);
          await this.sendAck(acks, retries);
        }
      } finally {
        this.flushing = null;
      }
    })();
    return this.flushing;
  }

  private async sendAck(acks: string[], retries: Retry[]): Promise<void> {
    const attempts = this.options.ackAttempts ?? 5;
    for (let attempt = 0; attempt < attempts; attempt++) {
      try {
        await this.api.ack(acks, retries);
        this.metrics.pullRequests.inc({ operation: "ack", result: "ok" });
        return;
      } catch (error) {
        this.metrics.pullRequests.inc({ operation: "ack", result: "error" });
        const wait =
          (error as { retryAfterMs?: number | null }).retryAfterMs ??
          backoffDelay(attempt, this.options.backoffBaseMs, this.options.backoffMaxMs);
        this.logger.warn("queue ack failed", { error: errorMessage(error), retryInMs: wait });
        await sleep(wait);
      }
    }
    // The leases expire and the messages are delivered again; the edge's callback is idempotent.
    this.logger.error("giving up on ack; messages will be redelivered", {
      acks: acks.length,
      retries: retries.length,
    });
  }
}
