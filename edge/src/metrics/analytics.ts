import type { Logger } from "@common/logger";
import { errorFields } from "@common/logger";
import type { JobEventData } from "@edge/jobs/events";

/**
 * Data points of the Workers Analytics Engine dataset bound as `METRICS` (queries in
 * docs/deploy.md, Monitoring). One dataset holds every kind; `blob1` names the kind, and the
 * columns of each kind are fixed here, in one place:
 *
 * | kind | index1 | blobs | doubles |
 * |---|---|---|---|
 * | `request` | route | 1 kind, 2 method, 3 route pattern, 4 status class (`2xx`...) | 1 status, 2 duration ms, 3 weight (requests it stands for: `METRICS_REQUEST_SAMPLE_EVERY`) |
 * | `job` | model | 1 kind, 2 final status, 3 model, 4 how it ended (`result`, `dead_letter`) | 1 attempts, 2 seconds from creation to finish, 3 detections |
 *
 * Writing is fire-and-forget (no I/O wait in the request); Analytics Engine samples by index, so
 * rare routes keep their resolution under heavy traffic on others.
 */
export type RequestPoint = {
  route: string;
  method: string;
  status: number;
  durationMs: number;
  /** Requests this point stands for: the sampling's 1-in-N. */
  weight: number;
};

/** How a job reached its final status: its result callback, or its message's dead letter. */
export type JobEnding = "result" | "dead_letter";

/** A metric is never worth a failed request: a refused write is logged and dropped. */
function write(dataset: AnalyticsEngineDataset, point: AnalyticsEngineDataPoint, logger: Logger): void {
  try {
    dataset.writeDataPoint(point);
  } catch (error) {
    logger.warn("metrics data point not written", { kind: point.blobs?.[0], ...errorFields(error) });
  }
}

export function writeRequestPoint(
  dataset: AnalyticsEngineDataset,
  point: RequestPoint,
  logger: Logger,
): void {
  write(
    dataset,
    {
      indexes: [point.route],
      blobs: ["request", point.method, point.route, `${Math.floor(point.status / 100)}xx`],
      doubles: [point.status, point.durationMs, point.weight],
    },
    logger,
  );
}

export function writeJobPoint(
  dataset: AnalyticsEngineDataset,
  job: JobEventData,
  ending: JobEnding,
  logger: Logger,
): void {
  const finishedAt = job.finishedAt ? Date.parse(job.finishedAt) : Date.now();
  write(
    dataset,
    {
      indexes: [job.model],
      blobs: ["job", job.status, job.model, ending],
      doubles: [
        job.attempts,
        Math.max(0, (finishedAt - Date.parse(job.createdAt)) / 1000),
        job.detectionCount,
      ],
    },
    logger,
  );
}
