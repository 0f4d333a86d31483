import { DurableObject } from "cloudflare:workers";
import { readConfig } from "@edge/config";
import type { JobEventsRpc } from "@edge/durable-objects";
import type { Bindings } from "@edge/env";
import { encodeJobEvent, type JobEvent } from "@edge/jobs/events";

type Subscriber = { jobId: string | null; writer: WritableStreamDefaultWriter<Uint8Array> };

const encoder = new TextEncoder();

/**
 * One instance per user: everyone waiting on that user's jobs (long-polls, event streams)
 * subscribes here, and the result callback publishes here. Waiting holds a stream open on this
 * object, never a database connection, and a change reaches every waiter as soon as it is
 * published, with no polling.
 */
export class JobEvents extends DurableObject<Bindings> implements JobEventsRpc {
  private readonly subscribers = new Set<Subscriber>();
  private heartbeat: ReturnType<typeof setInterval> | undefined;

  override async fetch(request: Request): Promise<Response> {
    const config = readConfig(this.env);
    if (this.subscribers.size >= config.JOB_EVENTS_MAX_SUBSCRIBERS) {
      return new Response("too many subscribers", { status: 503 });
    }
    const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
    const subscriber: Subscriber = {
      jobId: new URL(request.url).searchParams.get("job"),
      writer: writable.getWriter(),
    };
    this.subscribers.add(subscriber);
    // The reader going away (client disconnected, wait over) errors the writer: forget it.
    subscriber.writer.closed.catch(() => this.drop(subscriber));
    this.startHeartbeat(config.JOB_EVENTS_HEARTBEAT_SECONDS * 1000);
    // Sent at once so intermediaries and clients see the stream open before the first event.
    this.write(subscriber, ": subscribed\n\n");
    return new Response(readable, {
      headers: { "content-type": "text/event-stream", "cache-control": "no-store" },
    });
  }

  /** Sends each event to the subscribers of all jobs and to those of its job. */
  async publish(events: JobEvent[]): Promise<number> {
    let delivered = 0;
    for (const event of events) {
      const text = encodeJobEvent(event);
      for (const subscriber of this.subscribers) {
        if (subscriber.jobId !== null && subscriber.jobId !== event.job.id) continue;
        this.write(subscriber, text);
        delivered++;
      }
    }
    return delivered;
  }

  private write(subscriber: Subscriber, text: string): void {
    subscriber.writer.write(encoder.encode(text)).catch(() => this.drop(subscriber));
  }

  private drop(subscriber: Subscriber): void {
    if (!this.subscribers.delete(subscriber)) return;
    subscriber.writer.abort().catch(() => {});
    if (this.subscribers.size === 0 && this.heartbeat !== undefined) {
      clearInterval(this.heartbeat);
      this.heartbeat = undefined;
    }
  }

  /** A comment now and then keeps idle streams from being closed by proxies along the way. */
  private startHeartbeat(everyMs: number): void {
    this.heartbeat ??= setInterval(() => {
      for (const subscriber of this.subscribers) this.write(subscriber, ": keep-alive\n\n");
    }, everyMs);
  }
}
