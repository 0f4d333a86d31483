import type { Detection, DetectResult, ResultOutcome } from "@common/contracts/detect-result";
import type { Logger } from "@common/logger";
import { errorFields } from "@common/logger";
import type { Db } from "@db/client-worker";
import { detections, jobs } from "@db/schema";
import { type AnyColumn, and, asc, eq, inArray, type SQL, sql } from "drizzle-orm";
import type { PgUpdateSetSource } from "drizzle-orm/pg-core";
import { uuidv7 } from "uuidv7";
import type { Bindings } from "../env";
import { enqueueDeliveries, insertDeliveries } from "../webhooks/deliveries";
import { type finalStatuses, type JobEvent, type JobEventData, publishJobEvents } from "./events";

/**
 * What a finished job leaves to do once its statement has committed: enqueue its webhook
 * deliveries and tell the owner's waiters.
 */
export type Finished = { ownerId: string; deliveryIds: string[]; event: JobEvent };

export type Completion = { outcome: ResultOutcome; finished?: Finished };

/** Only these states may change; `succeeded` and `failed` are final. */
const unfinished = () => inArray(jobs.status, ["queued", "running"]);

const failureText = (error: { code: string; message: string }) => `${error.code}: ${error.message}`;

type Stored = typeof jobs.$inferSelect;
type StoredDetection = typeof detections.$inferSelect;
type FinalStatus = (typeof finalStatuses)[number];

/**
 * Detections are stored as `real` (float32), so an identical result is recognised by comparing
 * at float32 precision; anything else is a different result.
 */
const same = (a: number, b: number) => Math.fround(a) === Math.fround(b);

function isSameResult(job: Stored, stored: StoredDetection[], result: DetectResult): boolean {
  if (result.status === "failed") {
    return job.status === "failed" && job.error === failureText(result.error);
  }
  if (job.status !== "succeeded" || job.modelSha256 !== result.model.sha256) return false;
  return (
    stored.length === result.detections.length &&
    stored.every((row, i) => {
      const d = result.detections[i] as Detection;
      return (
        row.classId === d.classId &&
        row.label === d.label &&
        same(row.score, d.score) &&
        same(row.x1, d.box.x1) &&
        same(row.y1, d.box.y1) &&
        same(row.x2, d.box.x2) &&
        same(row.y2, d.box.y2)
      );
    })
  );
}

/**
 * The job as its events show it (`jobEventData`), built in SQL from the row `finished` returns,
 * for the webhook payloads written in the same statement and the event published after it.
 * Timestamps are written as `toISOString()` writes them: UTC, milliseconds, truncated.
 */
function eventData(finished: FinishedJob, detectionCount: number): SQL {
  const iso = (column: AnyColumn) =>
    sql`to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
  return sql`jsonb_build_object(
    'id', ${finished.id},
    'status', ${finished.status},
    'imageId', ${finished.imageId},
    'model', ${finished.model},
    'modelVersion', ${finished.modelVersion},
    'modelSha256', ${finished.modelSha256},
    'attempts', ${finished.attempts},
    'error', ${finished.error},
    'detectionCount', ${detectionCount}::integer,
    'createdAt', ${iso(finished.createdAt)},
    'startedAt', ${iso(finished.startedAt)},
    'finishedAt', ${iso(finished.finishedAt)}
  )`;
}

/** Inserts the detections of the job `finished` returns (none when it returns no row), rank = position. */
function insertDetections(finished: FinishedJob, found: Detection[]): SQL {
  const rows = found.map((d, rank) => ({
    id: uuidv7(),
    rank,
    class_id: d.classId,
    label: d.label,
    score: d.score,
    x1: d.box.x1,
    y1: d.box.y1,
    x2: d.box.x2,
    y2: d.box.y2,
    extent: d.extent ?? null,
  }));
  return sql`insert into ${detections} (id, job_id, rank, class_id, label, score, x1, y1, x2, y2, extent)
    select d.id, ${finished.id}, d.rank, d.class_id, d.label, d.score, d.x1, d.y1, d.x2, d.y2, d.extent
    from ${finished}, jsonb_to_recordset(${JSON.stringify(rows)}::jsonb)
      as d(id uuid, rank integer, class_id integer, label text, score real, x1 real, y1 real, x2 real, y2 real,
        extent jsonb)
    returning id`;
}

/** The conditional UPDATE that finishes a job, as the first CTE of `finishJob`'s statement. */
const finishedJob = (db: Db, jobId: string, set: PgUpdateSetSource<typeof jobs>) =>
  db.$with("finished").as(
    db
      .update(jobs)
      .set(set)
      .where(and(eq(jobs.id, jobId), unfinished()))
      .returning(),
  );

type FinishedJob = ReturnType<typeof finishedJob>;

/**
 * Finishes the job if it is still unfinished, in one statement over HTTP: a conditional UPDATE
 * whose RETURNING feeds, as data-modifying CTEs, the insert of the job's detections and of its
 * webhook deliveries. It commits all of that or nothing, and writes anything only when it changed
 * the row, so however many results race, a job gets one result set and one set of deliveries.
 * Null when the job is gone or already finished.
 */
async function finishJob(
  db: Db,
  jobId: string,
  status: FinalStatus,
  set: PgUpdateSetSource<typeof jobs>,
  found: Detection[],
): Promise<Finished | null> {
  const type = `job.${status}` as const;
  const finished = finishedJob(db, jobId, { ...set, status });
  const job = eventData(finished, found.length);
  const recorded = db
    .$with("recorded_deliveries", { id: sql<string>`id` })
    .as(insertDeliveries(finished, finished.ownerId, type, sql`jsonb_build_object('job', ${job})`));
  const stored = db.$with("stored_detections", { id: sql<string>`id` }).as(insertDetections(finished, found));
  const [row] = await db
    .with(finished, stored, recorded)
    .select({
      ownerId: finished.ownerId,
      job: sql<JobEventData>`${job}`,
      deliveryIds: sql<string[]>`(select coalesce(jsonb_agg(id), '[]'::jsonb) from ${recorded})`,
    })
    .from(finished);
  if (!row) return null;
  return {
    ownerId: row.ownerId,
    deliveryIds: row.deliveryIds,
    event: { type, job: row.job },
  };
}

/** What the UPDATE of a final result sets; the first such result finishes the job. */
function finalValues(result: DetectResult) {
  const modelFields = result.model
    ? {
        model: result.model.name,
        modelVersion: result.model.version,
        modelSha256: result.model.sha256,
        ...(result.model.classes ? { modelClasses: result.model.classes } : {}),
      }
    : {};
  const common = {
    ...modelFields,
    attempts: sql`greatest(${jobs.attempts}, ${result.attempt})`,
    finishedAt: sql`now()`,
    updatedAt: sql`now()`,
  };
  return result.status === "succeeded"
    ? {
        ...common,
        error: null,
        timings: result.timings,
        // The pull consumer never reports a start; the inference's own total time places it.
        startedAt: sql`coalesce(${jobs.startedAt}, now() - make_interval(secs => ${result.timings.totalMs / 1000}))`,
      }
    : { ...common, error: failureText(result.error) };
}

/**
 * Applies one result callback, idempotently on the job id, with no interactive transaction: each
 * step is one statement over HTTP. A success or a permanent failure is final: the first one to
 * arrive finishes the job with its detections and webhook deliveries (`finishJob`). Later results
 * are compared with the stored one and ignored. A retryable failure only records the attempt and
 * its error on an unfinished job.
 */
export async function applyDetectResult(db: Db, result: DetectResult, logger: Logger): Promise<Completion> {
  const log = logger.child({ jobId: result.jobId, attempt: result.attempt, status: result.status });
  const final = result.status === "succeeded" || result.error.permanent;

  if (!final) {
    const [row] = await db
      .update(jobs)
      .set({
        attempts: sql`greatest(${jobs.attempts}, ${result.attempt})`,
        error: failureText(result.error),
        updatedAt: sql`now()`,
      })
      .where(and(eq(jobs.id, result.jobId), unfinished()))
      .returning({ id: jobs.id });
    if (row) return { outcome: "recorded_retry" };
  } else {
    const found = result.status === "succeeded" ? result.detections : [];
    const finished = await finishJob(db, result.jobId, result.status, finalValues(result), found);
    if (finished) {
      log.info("job finished", { detections: finished.event.job.detectionCount });
      return { outcome: "applied", finished };
    }
  }

  // A later statement, so it sees the result that won (committed with its detections).
  const [[job], stored] = await db.batch([
    db.select().from(jobs).where(eq(jobs.id, result.jobId)),
    db.select().from(detections).where(eq(detections.jobId, result.jobId)).orderBy(asc(detections.rank)),
  ]);
  if (!job) {
    // Deleted with its image while inference was working: nothing to record, nothing to retry.
    log.info("result for unknown job ignored");
    return { outcome: "ignored" };
  }
  if (final && isSameResult(job, stored, result)) return { outcome: "duplicate" };
  log.warn("conflicting result for a finished job ignored; the first result is kept", {
    storedStatus: job.status,
    storedModelSha256: job.modelSha256,
    reportedModelSha256: result.model?.sha256,
  });
  return { outcome: "conflict_ignored" };
}

/**
 * How the error of a job failed by its dead-lettered `detect` message starts
 * (`dead_lettered: ...`); the operations metrics count failures by it.
 */
export const DEAD_LETTERED = "dead_lettered";

/**
 * Marks an unfinished job failed with `reason` (dead-lettered message) and records its
 * `job.failed` deliveries, in one statement. Returns null when the job is gone or already finished.
 */
export async function failJob(db: Db, jobId: string, reason: string): Promise<Finished | null> {
  return finishJob(db, jobId, "failed", { error: reason, finishedAt: sql`now()`, updatedAt: sql`now()` }, []);
}

/**
 * After the commit: wakes the owner's waiters and enqueues the webhook deliveries. Neither can
 * undo the result, so failures are logged, not thrown: a waiter still reads the database when its
 * wait ends, and deliveries whose message was lost are re-sent by the sweeper.
 */
export async function announceFinished(env: Bindings, finished: Finished, logger: Logger): Promise<void> {
  const jobId = finished.event.job.id;
  await Promise.all([
    publishJobEvents(env, finished.ownerId, [finished.event]).catch((error) =>
      logger.warn("job event not published; waiters see it when their wait ends", {
        jobId,
        ...errorFields(error),
      }),
    ),
    enqueueDeliveries(env.WEBHOOK_QUEUE, finished.deliveryIds).catch((error) =>
      logger.error("webhook enqueue failed; the sweeper will send them", { jobId, ...errorFields(error) }),
    ),
  ]);
}
