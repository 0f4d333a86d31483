import type { Detection, DetectResult, ResultOutcome } from "@common/contracts/detect-result";
import type { Logger } from "@common/logger";
import { errorFields } from "@common/logger";
import type { Db, Tx } from "@db/client-worker";
import { detections, jobs } from "@db/schema";
import { and, asc, eq, inArray, sql } from "drizzle-orm";
import type { Bindings } from "../env";
import { enqueueDeliveries, recordDeliveries } from "../webhooks/deliveries";
import { type JobEvent, jobEvent, publishJobEvents } from "./events";

/**
 * What a finished job leaves to do once its transaction has committed: enqueue its webhook
 * deliveries and tell the owner's waiters.
 */
export type Finished = { ownerId: string; deliveryIds: string[]; event: JobEvent };

export type Completion = { outcome: ResultOutcome; finished?: Finished };

/** Only these states may change; `succeeded` and `failed` are final. */
const unfinished = () => inArray(jobs.status, ["queued", "running"]);

const failureText = (error: { code: string; message: string }) => `${error.code}: ${error.message}`;

type Stored = typeof jobs.$inferSelect;

/**
 * Detections are stored as `real` (float32), so an identical result is recognised by comparing
 * at float32 precision; anything else is a different result.
 */
const same = (a: number, b: number) => Math.fround(a) === Math.fround(b);

async function isSameResult(db: Db, job: Stored, result: DetectResult): Promise<boolean> {
  if (result.status === "failed") {
    return job.status === "failed" && job.error === failureText(result.error);
  }
  if (job.status !== "succeeded" || job.modelSha256 !== result.model.sha256) return false;
  const stored = await db
    .select()
    .from(detections)
    .where(eq(detections.jobId, job.id))
    .orderBy(asc(detections.rank));
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

/** Finishes the job if it is still unfinished; returns the updated row, or null if it was not. */
async function finish(tx: Tx, result: DetectResult): Promise<Stored | null> {
  const modelFields = result.model
    ? { model: result.model.name, modelVersion: result.model.version, modelSha256: result.model.sha256 }
    : {};
  const common = {
    ...modelFields,
    attempts: sql`greatest(${jobs.attempts}, ${result.attempt})`,
    finishedAt: sql`now()`,
    updatedAt: sql`now()`,
  };
  const set =
    result.status === "succeeded"
      ? {
          ...common,
          status: "succeeded" as const,
          error: null,
          timings: result.timings,
          // The pull consumer never reports a start; the inference's own total time places it.
          startedAt: sql`coalesce(${jobs.startedAt}, now() - make_interval(secs => ${result.timings.totalMs / 1000}))`,
        }
      : { ...common, status: "failed" as const, error: failureText(result.error) };
  const [row] = await tx
    .update(jobs)
    .set(set)
    .where(and(eq(jobs.id, result.jobId), unfinished()))
    .returning();
  return row ?? null;
}

/**
 * Applies one result callback, idempotently on the job id. A success or a permanent failure is
 * final: the first one to arrive finishes the job in one conditional UPDATE, inserts its
 * detections (rank = position, unique per job) and records the webhook deliveries, all in one
 * transaction, so a job can never hold two result sets. Later results are compared with the
 * stored one and ignored. A retryable failure only records the attempt and its error.
 */
export async function applyDetectResult(db: Db, result: DetectResult, logger: Logger): Promise<Completion> {
  const log = logger.child({ jobId: result.jobId, attempt: result.attempt, status: result.status });

  if (result.status === "failed" && !result.error.permanent) {
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
    const finished = await db.interactiveTransaction(async (tx): Promise<Finished | null> => {
      const row = await finish(tx, result);
      if (!row) return null;
      const found = result.status === "succeeded" ? result.detections : [];
      if (found.length > 0) {
        await tx.insert(detections).values(
          found.map((d, rank) => ({
            jobId: row.id,
            rank,
            classId: d.classId,
            label: d.label,
            score: d.score,
            x1: d.box.x1,
            y1: d.box.y1,
            x2: d.box.x2,
            y2: d.box.y2,
          })),
        );
      }
      return finishedWith(tx, row, found.length);
    });
    if (finished) {
      log.info("job finished", { detections: finished.event.job.detectionCount });
      return { outcome: "applied", finished };
    }
  }

  const [job] = await db.select().from(jobs).where(eq(jobs.id, result.jobId));
  if (!job) {
    // Deleted with its image while inference was working: nothing to record, nothing to retry.
    log.info("result for unknown job ignored");
    return { outcome: "ignored" };
  }
  if (result.status !== "failed" || result.error.permanent) {
    if (await isSameResult(db, job, result)) return { outcome: "duplicate" };
  }
  log.warn("conflicting result for a finished job ignored; the first result is kept", {
    storedStatus: job.status,
    storedModelSha256: job.modelSha256,
    reportedModelSha256: result.model?.sha256,
  });
  return { outcome: "conflict_ignored" };
}

/** Records the webhook deliveries of a job that was just finished in `tx`. */
async function finishedWith(tx: Tx, row: Stored, detectionCount: number): Promise<Finished> {
  const event = jobEvent(row, detectionCount);
  const webhookEvent = row.status === "succeeded" ? "job.succeeded" : "job.failed";
  const deliveryIds = await recordDeliveries(tx, row.ownerId, webhookEvent, event.job);
  return { ownerId: row.ownerId, deliveryIds, event };
}

/**
 * How the error of a job failed by its dead-lettered `detect` message starts
 * (`dead_lettered: ...`); the operations metrics count failures by it.
 */
export const DEAD_LETTERED = "dead_lettered";

/**
 * Marks an unfinished job failed with `reason` (dead-lettered message) and records its
 * `job.failed` deliveries. Returns null when the job is gone or already finished.
 */
export async function failJob(db: Db, jobId: string, reason: string): Promise<Finished | null> {
  return db.interactiveTransaction(async (tx) => {
    const [row] = await tx
      .update(jobs)
      .set({ status: "failed", error: reason, finishedAt: sql`now()`, updatedAt: sql`now()` })
      .where(and(eq(jobs.id, jobId), unfinished()))
      .returning();
    if (!row) return null;
    return finishedWith(tx, row, 0);
  });
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
