import { and, asc, eq, inArray, sql } from "drizzle-orm";
import type { Db } from "../../../db/client-worker";
import { detections, jobs } from "../../../db/schema";
import type { Detection, DetectResult } from "../contracts/detect-result";
import type { Logger } from "../logger";
import { jobEventData, recordDeliveries, type Tx } from "../webhooks/deliveries";

/** What the result callback did; inference acks the message on every one of them. */
export type ResultOutcome = "applied" | "duplicate" | "conflict_ignored" | "recorded_retry" | "ignored";

export type Completion = { outcome: ResultOutcome; deliveryIds: string[] };

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
    if (row) return { outcome: "recorded_retry", deliveryIds: [] };
  } else {
    const applied = await db.transaction(async (tx) => {
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
      const event = row.status === "succeeded" ? "job.succeeded" : "job.failed";
      return recordDeliveries(tx, row.ownerId, event, jobEventData(row, found.length));
    });
    if (applied) {
      log.info("job finished", { detections: result.status === "succeeded" ? result.detections.length : 0 });
      return { outcome: "applied", deliveryIds: applied };
    }
  }

  const [job] = await db.select().from(jobs).where(eq(jobs.id, result.jobId));
  if (!job) {
    // Deleted with its image while inference was working: nothing to record, nothing to retry.
    log.info("result for unknown job ignored");
    return { outcome: "ignored", deliveryIds: [] };
  }
  if (result.status !== "failed" || result.error.permanent) {
    if (await isSameResult(db, job, result)) return { outcome: "duplicate", deliveryIds: [] };
  }
  log.warn("conflicting result for a finished job ignored; the first result is kept", {
    storedStatus: job.status,
    storedModelSha256: job.modelSha256,
    reportedModelSha256: result.model?.sha256,
  });
  return { outcome: "conflict_ignored", deliveryIds: [] };
}

/**
 * Marks an unfinished job failed with `reason` (dead-lettered message) and records its
 * `job.failed` deliveries. Returns null when the job is gone or already finished.
 */
export async function failJob(db: Db, jobId: string, reason: string): Promise<string[] | null> {
  return db.transaction(async (tx) => {
    const [row] = await tx
      .update(jobs)
      .set({ status: "failed", error: reason, finishedAt: sql`now()`, updatedAt: sql`now()` })
      .where(and(eq(jobs.id, jobId), unfinished()))
      .returning();
    if (!row) return null;
    return recordDeliveries(tx, row.ownerId, "job.failed", jobEventData(row, 0));
  });
}
