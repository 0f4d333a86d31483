import type { jobs } from "@db/schema";
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

/**
 * Subscribes to the owner's job events (all of them, or one job's): a `text/event-stream` body of
 * `event: <type>` / `data: <JobEvent JSON>` blocks and keep-alive comments. The subscription is
 * live once this resolves, so state read afterwards cannot miss a change. Cancel the stream to
 * unsubscribe.
 */
export async function subscribeJobEvents(
  env: Bindings,
  ownerId: string,
  jobId?: string,
): Promise<ReadableStream<Uint8Array>> {
  const url = new URL("https://job-events/subscribe");
  if (jobId) url.searchParams.set("job", jobId);
  const response = await hub(env, ownerId).fetch(url);
  if (!response.ok || !response.body) {
    await response.body?.cancel();
    throw new ApiError("service_unavailable", "Too many open waits and event streams; retry shortly", {
      headers: { "Retry-After": "5" },
    });
  }
  return response.body as ReadableStream<Uint8Array>;
}

/** SSE encoding of one event. */
export const encodeJobEvent = (event: JobEvent) =>
  `event: ${event.type}\nid: ${event.job.id}:${event.job.status}\ndata: ${JSON.stringify(event)}\n\n`;

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
        const data = buffered
          .slice(0, end)
          .split("\n")
          .find((line) => line.startsWith("data: "));
        buffered = buffered.slice(end + 2);
        if (data) yield JSON.parse(data.slice("data: ".length)) as JobEvent;
      }
    }
  } finally {
    signal.removeEventListener("abort", cancel);
    cancel();
  }
}
