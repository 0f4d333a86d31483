/** The training endpoints the app calls, typed from the edge's trainings schemas. */
import type {
  CreateTrainingSchema,
  TrainingSchema,
  TrainingStatusSchema,
} from "@edge/routes/trainings/schema";
import type { z } from "zod";
import type { ApiClient } from "./client";
import { parseEventBlocks } from "./event-stream";
import { api } from "./instance";
import type { PagedSource } from "./paged-list";
import { pagedSource } from "./paged-source";
import { segment, withQuery } from "./query-string";

export type Training = z.infer<typeof TrainingSchema>;
export type TrainingStatus = z.infer<typeof TrainingStatusSchema>;
export type CreateTrainingBody = z.input<typeof CreateTrainingSchema>;

/** Once a run has one of these it never changes again (its event stream ends). */
export const FINAL_TRAINING_STATUSES: readonly TrainingStatus[] = ["succeeded", "failed", "cancelled"];
export const isFinal = (run: Pick<Training, "status">) => FINAL_TRAINING_STATUSES.includes(run.status);

const runPath = (id: string) => `/v1/trainings/${segment(id)}`;

/** `POST /v1/trainings`: the run, queued for a trainer. */
export const createTraining = (body: CreateTrainingBody) =>
  api.call<Training>("/v1/trainings", { method: "POST", json: body });

/** `GET /v1/trainings/{id}`: status, per-epoch progress, metrics, failure. */
export const getTraining = (id: string) => api.call<Training>(runPath(id));

/** `GET /v1/trainings`, newest first. */
export const listTrainings = (query: { status?: TrainingStatus } = {}): PagedSource<Training> =>
  pagedSource(withQuery("/v1/trainings", query));

/** `POST /v1/trainings/{id}/cancel`: the run, cancelled. */
export const cancelTraining = (id: string) => api.call<Training>(`${runPath(id)}/cancel`, { method: "POST" });

/**
 * Follows one run through `GET /v1/trainings/{id}/events` (read through fetch: EventSource cannot
 * send the Authorization header). Each event's data is the whole run; the first is its state now.
 * The server ends the stream after a final status; a dropped stream is opened again after its
 * `retry:` delay (the run's state comes first again, so nothing is missed) until `stop()`.
 */
export function followTraining(
  id: string,
  onRun: (run: Training) => void,
  client: ApiClient = api,
): () => void {
  const controller = new AbortController();
  let retryMs = 2000;
  let finished = false;
  async function readOnce() {
    const response = await client.request(`${runPath(id)}/events`, { signal: controller.signal });
    if (!response.ok || !response.body) throw new Error(`events answered ${response.status}`);
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      const parsed = parseEventBlocks(buffer + value);
      buffer = parsed.rest;
      retryMs = parsed.retryMs ?? retryMs;
      for (const data of parsed.events) {
        const run = JSON.parse(data) as Training;
        finished = isFinal(run);
        onRun(run);
      }
    }
  }
  async function run() {
    while (!controller.signal.aborted && !finished) {
      try {
        await readOnce();
      } catch {
        if (controller.signal.aborted || !client.session) return;
      }
      if (!finished) await new Promise((resolve) => setTimeout(resolve, retryMs));
    }
  }
  void run();
  return () => controller.abort();
}
