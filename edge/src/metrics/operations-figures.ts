import type { Db } from "@db/client-worker";
import { jobs, modelEvaluations, trainings, webhookDeliveries } from "@db/schema";
import { DEAD_LETTERED } from "@edge/jobs/complete";
import { and, count, eq, gt, inArray, sql } from "drizzle-orm";
import { createTtlCache } from "./ttl-cache";

/** Training runs waiting for or on a trainer, and how they end. */
export type TrainingFigures = {
  queued: number;
  running: number;
  /** Seconds since the longest-waiting queued run was queued (created, or handed back for a retry); 0 when none is. */
  oldestQueuedAgeSeconds: number;
  /** Runs failed in the last hour (retries spent, or a permanent error). */
  failedLast1h: number;
};

/** What the autoscalers and Prometheus read: the job and training backlogs and recent outcomes. */
export type OperationsFigures = {
  queued: number;
  running: number;
  /** Seconds since the oldest queued job was created; 0 when none is queued. */
  oldestQueuedAgeSeconds: number;
  /** Jobs finished in the last 5 minutes, by final status. */
  finishedLast5m: { succeeded: number; failed: number };
  /** Jobs failed in the last hour because their `detect` message was dead-lettered. */
  deadLetteredLast1h: number;
  /** Webhook deliveries marked failed (retries spent) in the last hour. */
  webhookDeliveriesFailedLast1h: number;
  trainings: TrainingFigures;
  /** Model evaluations waiting for or in the inference service. */
  evaluations: { queued: number; running: number };
};

// The windows are part of the metric names (`..._last_5m`, `..._last_1h`), hence fixed.
const last5Minutes = sql`now() - interval '5 minutes'`;
const lastHour = sql`now() - interval '1 hour'`;

/** Rounded to the millisecond: the figure feeds alerts and scaling, not a stopwatch. */
const ageSeconds = (seconds: number | undefined) => Math.max(0, Math.round((seconds ?? 0) * 1000) / 1000);

const queuedOrRunning = ["queued", "running"] as const;

/**
 * Reads every figure in one round trip (`db.batch`: one HTTP request, one transaction of seven
 * reads). Each read is an index range scan, so its cost follows the rows it counts, never the
 * table: unfinished jobs by status (at most `MAX_UNFINISHED_JOBS`, admission control), jobs
 * finished in the window (`jobs_finished_idx`), failed deliveries of the last hour
 * (`webhook_deliveries_failed_idx`), unfinished training runs and failed ones
 * (`trainings_status_heartbeat_idx`; failed runs are read by status, then their finish time: a
 * run is hours of a trainer's time, so they number in the thousands at most), unfinished
 * evaluations (`model_evaluations_unfinished_idx`, partial).
 */
export async function readOperationsFigures(db: Db): Promise<OperationsFigures> {
  const [unfinished, finished, deadLettered, deliveries, runs, failedRuns, evaluations] = await db.batch([
    db
      .select({
        queued: sql<number>`count(*) filter (where ${jobs.status} = 'queued')`.mapWith(Number),
        running: sql<number>`count(*) filter (where ${jobs.status} = 'running')`.mapWith(Number),
        oldestQueuedAgeSeconds:
          sql<number>`coalesce(extract(epoch from now() - min(${jobs.createdAt}) filter (where ${jobs.status} = 'queued')), 0)`.mapWith(
            Number,
          ),
      })
      .from(jobs)
      .where(inArray(jobs.status, ["queued", "running"])),
    db
      .select({ status: jobs.status, count: count() })
      .from(jobs)
      .where(and(inArray(jobs.status, ["succeeded", "failed"]), gt(jobs.finishedAt, last5Minutes)))
      .groupBy(jobs.status),
    db
      .select({ count: count() })
      .from(jobs)
      .where(
        and(
          eq(jobs.status, "failed"),
          gt(jobs.finishedAt, lastHour),
          sql`starts_with(${jobs.error}, ${`${DEAD_LETTERED}:`})`,
        ),
      ),
    db
      .select({ count: count() })
      .from(webhookDeliveries)
      .where(and(eq(webhookDeliveries.status, "failed"), gt(webhookDeliveries.updatedAt, lastHour))),
    db
      .select({
        queued: sql<number>`count(*) filter (where ${trainings.status} = 'queued')`.mapWith(Number),
        running: sql<number>`count(*) filter (where ${trainings.status} = 'running')`.mapWith(Number),
        // A queued run's last update is its queueing: the create, or the hand-back for a retry.
        oldestQueuedAgeSeconds:
          sql<number>`coalesce(extract(epoch from now() - min(${trainings.updatedAt}) filter (where ${trainings.status} = 'queued')), 0)`.mapWith(
            Number,
          ),
      })
      .from(trainings)
      .where(inArray(trainings.status, queuedOrRunning)),
    db
      .select({ count: count() })
      .from(trainings)
      .where(and(eq(trainings.status, "failed"), gt(trainings.finishedAt, lastHour))),
    db
      .select({
        queued: sql<number>`count(*) filter (where ${modelEvaluations.status} = 'queued')`.mapWith(Number),
        running: sql<number>`count(*) filter (where ${modelEvaluations.status} = 'running')`.mapWith(Number),
      })
      .from(modelEvaluations)
      .where(inArray(modelEvaluations.status, queuedOrRunning)),
  ]);
  const finishedCount = (status: "succeeded" | "failed") =>
    finished.find((row) => row.status === status)?.count ?? 0;
  return {
    queued: unfinished[0]?.queued ?? 0,
    running: unfinished[0]?.running ?? 0,
    oldestQueuedAgeSeconds: ageSeconds(unfinished[0]?.oldestQueuedAgeSeconds),
    finishedLast5m: { succeeded: finishedCount("succeeded"), failed: finishedCount("failed") },
    deadLetteredLast1h: deadLettered[0]?.count ?? 0,
    webhookDeliveriesFailedLast1h: deliveries[0]?.count ?? 0,
    trainings: {
      queued: runs[0]?.queued ?? 0,
      running: runs[0]?.running ?? 0,
      oldestQueuedAgeSeconds: ageSeconds(runs[0]?.oldestQueuedAgeSeconds),
      failedLast1h: failedRuns[0]?.count ?? 0,
    },
    evaluations: { queued: evaluations[0]?.queued ?? 0, running: evaluations[0]?.running ?? 0 },
  };
}

const cache = createTtlCache(readOperationsFigures);

/**
 * The figures as this isolate last read them, if younger than `cacheSeconds`: a burst of
 * scrapes (several Prometheus replicas, the autoscaler, retries) costs one query per isolate.
 */
export const operationsFigures = (db: Db, cacheSeconds: number): Promise<OperationsFigures> =>
  cache(db, cacheSeconds * 1000);
