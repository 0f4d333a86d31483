import { DurableObject } from "cloudflare:workers";
import { sseEvent, type TrainingEvent, type TrainingEventsRpc } from "@edge/trainings/events";
import { finalTrainingStatuses } from "@edge/trainings/views";

const encoder = new TextEncoder();
/** Keep-alive comments on idle streams, so proxies do not close them between epochs. */
const HEARTBEAT_MS = 15_000;

/**
 * One object per training run: the event streams of `GET /v1/trainings/{id}/events` subscribe
 * here, and the trainer's reports publish here, so no stream polls the database. Streams live in
 * memory; after a final status every stream is ended (the object then has nothing to hold).
 */
export class TrainingEvents extends DurableObject implements TrainingEventsRpc {
  private readonly streams = new Set<WritableStreamDefaultWriter<Uint8Array>>();
  private heartbeat: ReturnType<typeof setInterval> | undefined;

  override async fetch(request: Request): Promise<Response> {
    const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
    const writer = writable.getWriter();
    this.streams.add(writer);
    request.signal.addEventListener("abort", () => this.drop(writer));
    this.heartbeat ??= setInterval(() => this.write(encoder.encode(": keep-alive\n\n")), HEARTBEAT_MS);
    return new Response(readable, { headers: { "content-type": "text/event-stream" } });
  }

  async publish(event: TrainingEvent): Promise<number> {
    const count = this.streams.size;
    await this.write(encoder.encode(sseEvent(event)));
    if ((finalTrainingStatuses as readonly string[]).includes(event.training.status)) {
      for (const writer of [...this.streams]) {
        this.drop(writer);
        await writer.close().catch(() => {});
      }
    }
    return count;
  }

  private async write(bytes: Uint8Array): Promise<void> {
    await Promise.all([...this.streams].map((writer) => writer.write(bytes).catch(() => this.drop(writer))));
  }

  private drop(writer: WritableStreamDefaultWriter<Uint8Array>): void {
    this.streams.delete(writer);
    if (this.streams.size === 0 && this.heartbeat !== undefined) {
      clearInterval(this.heartbeat);
      this.heartbeat = undefined;
    }
  }
}
