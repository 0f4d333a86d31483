import {
  datasetItems,
  images,
  jobs,
  modelUploads,
  modelVersions,
  reports,
  trainings,
  webhookDeliveries,
} from "@db/schema";
import { sweepEvaluations } from "@edge/evaluations/sweep";
import { detectMessage, enqueueDetect, queuedImageColumns } from "@edge/jobs/queue-messages";
import { enqueueReport } from "@edge/reports/report-message";
import { trainerSilent } from "@edge/trainings/claim";
import { publishTraining } from "@edge/trainings/events";
import { enqueueTrain, trainMessage } from "@edge/trainings/queue-messages";
import { enqueueDeliveries } from "@edge/webhooks/deliveries";
import { and, asc, eq, gt, inArray, lt, or, sql } from "drizzle-orm";
import type { HandlerContext } from "../queues/context";

/** Where each orphan scan resumes next run, so every object is eventually examined. */
export const ORPHAN_CURSOR_KEY = "sweeper/orphan-cursor";
export const REPORT_ORPHAN_CURSOR_KEY = "sweeper/report-orphan-cursor";
export const DATASET_ORPHAN_CURSOR_KEY = "sweeper/dataset-orphan-cursor";
export const MODEL_ORPHAN_CURSOR_KEY = "sweeper/model-orphan-cursor";

/** A prefix of the bucket whose objects belong to rows of one table, and how to find those rows. */
type OrphanScan = {
  prefix: string;
  cursorKey: string;
  referenced(ctx: HandlerContext, keys: string[]): Promise<Array<{ key: string | null }>>;
};

const ORPHAN_SCANS: OrphanScan[] = [
  {
    prefix: "images/",
    cursorKey: ORPHAN_CURSOR_KEY,
    referenced: ({ db }, keys) =>
      db.select({ key: images.objectKey }).from(images).where(inArray(images.objectKey, keys)),
  },
  {
    // A report's PDF outlives nothing: deleting a user (or a report row) leaves it unreferenced.
    prefix: "reports/",
    cursorKey: REPORT_ORPHAN_CURSOR_KEY,
    referenced: ({ db }, keys) =>
      db.select({ key: reports.objectKey }).from(reports).where(inArray(reports.objectKey, keys)),
  },
  {
    // A dataset version's images, and an import's archive while it is read. An import whose
    // isolate died leaves both behind without rows; deleting a user removes the rows.
    prefix: "datasets/",
    cursorKey: DATASET_ORPHAN_CURSOR_KEY,
    referenced: ({ db }, keys) =>
      db
        .selectDistinct({ key: datasetItems.objectKey })
        .from(datasetItems)
        .where(inArray(datasetItems.objectKey, keys)),
  },
  {
    // A version's file is its upload's staging object. An upload still open (not completed or
    // failed) keeps its object until ORPHAN_MIN_AGE_SECONDS past its URL's expiry, so a client
    // that sent the bytes has that long to complete it; after that it must upload again.
    prefix: "models/",
    cursorKey: MODEL_ORPHAN_CURSOR_KEY,
    referenced: async ({ db, config }, keys) => [
      ...(await db
        .select({ key: modelVersions.objectKey })
        .from(modelVersions)
        .where(inArray(modelVersions.objectKey, keys))),
      ...(await db
        .select({ key: modelUploads.stagingKey })
        .from(modelUploads)
        .where(
          and(
            inArray(modelUploads.stagingKey, keys),
            inArray(modelUploads.status, ["pending", "receiving", "received"]),
            gt(modelUploads.expiresAt, sql`now() - make_interval(secs => ${config.ORPHAN_MIN_AGE_SECONDS})`),
          ),
        )),
    ],
  },
];

export type SweepReport = {
  requeuedJobs: number;
  requeuedReports: number;
  requeuedTrainings: number;
  failedTrainings: number;
  resentDeliveries: number;
  examinedObjects: number;
  deletedObjects: number;
};

/**
 * The cron sweeper: re-enqueues jobs and reports whose message was lost or whose consumer died,
 * re-sends webhook deliveries whose message never got out, and deletes R2 objects (images, report
 * PDFs, dataset images and archives, model files) no row refers to.
 */
export async function sweep(ctx: HandlerContext): Promise<SweepReport> {
  const requeuedJobs = await requeueStuckJobs(ctx);
  const requeuedReports = await requeueStuckReports(ctx);
  const trainingSweep = await sweepStuckTrainings(ctx);
  const resentDeliveries = await resendLostDeliveries(ctx);
  await sweepStuckEvaluations(ctx);
  let examined = 0;
  let deleted = 0;
  for (const scan of ORPHAN_SCANS) {
    const result = await deleteOrphanObjects(ctx, scan);
    examined += result.examined;
    deleted += result.deleted;
  }
  const report = {
    requeuedJobs,
    requeuedReports,
    requeuedTrainings: trainingSweep.requeued,
    failedTrainings: trainingSweep.failed,
    resentDeliveries,
    examinedObjects: examined,
    deletedObjects: deleted,
  };
  ctx.logger.info("sweep finished", report);
  return report;
}

/**
 * Running past `JOB_STUCK_AFTER_SECONDS` since its last start, queued that long since its last
 * enqueue, or queued with no attempt for `JOB_UNSTARTED_AFTER_SECONDS` (its message never reached
 * a consumer; a queueing wait admission allows is shorter): back to `queued` with a fresh message.
 * Rows are claimed with SKIP LOCKED in the same statement, so overlapping runs never enqueue a job
 * twice; a message that does turn up later only meets the claim, which runs the job once, and a
 * result arriving meanwhile still wins (the result callback accepts `queued` and `running` alike).
 */
async function requeueStuckJobs({ config, db, env, logger }: HandlerContext): Promise<number> {
  const cutoff = sql`now() - make_interval(secs => ${config.JOB_STUCK_AFTER_SECONDS})`;
  const unstartedCutoff = sql`now() - make_interval(secs => ${config.JOB_UNSTARTED_AFTER_SECONDS})`;
  const lastEnqueue = sql`coalesce(${jobs.enqueuedAt}, ${jobs.createdAt})`;
  const stuck = db
    .select({ id: jobs.id })
    .from(jobs)
    .where(
      or(
        and(eq(jobs.status, "running"), lt(sql`coalesce(${jobs.startedAt}, ${jobs.updatedAt})`, cutoff)),
        and(eq(jobs.status, "queued"), lt(lastEnqueue, cutoff)),
        and(eq(jobs.status, "queued"), eq(jobs.attempts, 0), lt(lastEnqueue, unstartedCutoff)),
      ),
    )
    .orderBy(asc(jobs.createdAt))
    .limit(config.SWEEP_MAX_JOBS)
    .for("update", { skipLocked: true });
  const claimed = await db
    .update(jobs)
    .set({ status: "queued", enqueuedAt: sql`now()`, updatedAt: sql`now()` })
    .from(images)
    .where(
      and(inArray(jobs.id, stuck), eq(images.id, jobs.imageId), inArray(jobs.status, ["queued", "running"])),
    )
    .returning({
      id: jobs.id,
      model: jobs.model,
      params: jobs.params,
      traceparent: jobs.traceparent,
      image: queuedImageColumns,
    });
  if (claimed.length === 0) return 0;
  const messages = await Promise.all(claimed.map((job) => detectMessage(config, job, job.image)));
  // A failed enqueue leaves the jobs queued with a fresh enqueuedAt: the next run after the timeout tries again.
  await enqueueDetect(env.DETECT_QUEUE, messages);
  logger.warn("stuck jobs re-enqueued", { jobIds: claimed.map((job) => job.id) });
  return claimed.length;
}

/**
 * Reports `queued` or `rendering` with no change for `JOB_STUCK_AFTER_SECONDS`: their message was
 * lost, or the consumer died mid-render without the queue retrying it. Back to `queued` with a
 * fresh message; claimed with SKIP LOCKED like jobs, and a render finishing meanwhile still wins
 * (the consumer's claim skips a report that is already final).
 */
async function requeueStuckReports({ config, db, env, logger }: HandlerContext): Promise<number> {
  const cutoff = sql`now() - make_interval(secs => ${config.JOB_STUCK_AFTER_SECONDS})`;
  const stuck = db
    .select({ id: reports.id })
    .from(reports)
    .where(and(inArray(reports.status, ["queued", "rendering"]), lt(reports.updatedAt, cutoff)))
    .orderBy(asc(reports.createdAt))
    .limit(config.SWEEP_MAX_JOBS)
    .for("update", { skipLocked: true });
  const claimed = await db
    .update(reports)
    .set({ status: "queued", updatedAt: sql`now()` })
    .where(and(inArray(reports.id, stuck), inArray(reports.status, ["queued", "rendering"])))
    .returning({ id: reports.id });
  if (claimed.length === 0) return 0;
  // A failed send leaves them queued with a fresh updatedAt: the next run after the timeout retries.
  await Promise.all(claimed.map((report) => enqueueReport(env.REPORT_QUEUE, report.id)));
  logger.warn("stuck reports re-enqueued", { reportIds: claimed.map((report) => report.id) });
  return claimed.length;
}

/**
 * Training runs `running` whose trainer has not reported (claim or epoch) for
 * `TRAINING_STUCK_AFTER_SECONDS`: a killed trainer whose message would otherwise come back only
 * after its 12-hour lease. Below `TRAINING_MAX_ATTEMPTS` claims the run goes back to `queued` with
 * a fresh message (its old attempt's reports are stale once claimed again); at the bound it fails
 * `trainer_lost`. Never left running. Claimed with SKIP LOCKED, as jobs are.
 */
async function sweepStuckTrainings({ config, db, env, logger }: HandlerContext) {
  const stuck = (retry: boolean) =>
    db
      .select({ id: trainings.id })
      .from(trainings)
      .where(
        and(
          eq(trainings.status, "running"),
          trainerSilent(config),
          retry
            ? lt(trainings.attempts, config.TRAINING_MAX_ATTEMPTS)
            : sql`${trainings.attempts} >= ${config.TRAINING_MAX_ATTEMPTS}`,
        ),
      )
      .limit(config.SWEEP_MAX_JOBS)
      .for("update", { skipLocked: true });
  const requeued = await db
    .update(trainings)
    .set({ status: "queued", heartbeatAt: null, enqueuedAt: sql`now()`, updatedAt: sql`now()` })
    .where(and(inArray(trainings.id, stuck(true)), eq(trainings.status, "running")))
    .returning();
  const failed = await db
    .update(trainings)
    .set({
      status: "failed",
      errorCode: "trainer_lost",
      error: sql`${`no progress reported for ${config.TRAINING_STUCK_AFTER_SECONDS} s after `}::text || ${trainings.attempts}::text || ' attempt(s)'`,
      finishedAt: sql`now()`,
      updatedAt: sql`now()`,
    })
    .where(and(inArray(trainings.id, stuck(false)), eq(trainings.status, "running")))
    .returning();
  for (const run of [...requeued, ...failed]) await publishTraining(env, run, logger);
  if (requeued.length > 0) {
    // A failed send leaves them queued; their old message, redelivered after its lease, claims them.
    await enqueueTrain(env.TRAIN_QUEUE, requeued.map(trainMessage));
    logger.warn("stuck trainings re-enqueued", { trainingIds: requeued.map((run) => run.id) });
  }
  if (failed.length > 0) logger.warn("stuck trainings failed", { trainingIds: failed.map((run) => run.id) });
  return { requeued: requeued.length, failed: failed.length };
}

/** Deliveries recorded with their job but never attempted: their enqueue was lost. */
async function resendLostDeliveries({ config, db, env }: HandlerContext): Promise<number> {
  const cutoff = sql`now() - make_interval(secs => ${config.JOB_STUCK_AFTER_SECONDS})`;
  const lost = db
    .select({ id: webhookDeliveries.id })
    .from(webhookDeliveries)
    .where(
      and(
        eq(webhookDeliveries.status, "pending"),
        eq(webhookDeliveries.attempts, 0),
        lt(webhookDeliveries.updatedAt, cutoff),
      ),
    )
    .limit(config.SWEEP_MAX_JOBS)
    .for("update", { skipLocked: true });
  const rows = await db
    .update(webhookDeliveries)
    .set({ updatedAt: sql`now()` })
    .where(inArray(webhookDeliveries.id, lost))
    .returning({ id: webhookDeliveries.id });
  await enqueueDeliveries(
    env.WEBHOOK_QUEUE,
    rows.map((row) => row.id),
  );
  return rows.length;
}

/**
 * Examines up to `SWEEP_MAX_OBJECTS` objects under the scan's prefix per run, resuming where the
 * last run stopped, and deletes those no row refers to. Objects younger than
 * `ORPHAN_MIN_AGE_SECONDS` are skipped: an upload (or a render) writes the object before its row.
 */
async function deleteOrphanObjects(
  ctx: HandlerContext,
  scan: OrphanScan,
): Promise<{ examined: number; deleted: number }> {
  const { config, env } = ctx;
  const bucket = env.IMAGES;
  const saved = await bucket.get(scan.cursorKey);
  let cursor = saved ? await saved.text() : undefined;
  const oldEnough = Date.now() - config.ORPHAN_MIN_AGE_SECONDS * 1000;
  let examined = 0;
  let deleted = 0;
  let finished = false;
  while (examined < config.SWEEP_MAX_OBJECTS) {
    const page = await bucket.list({
      prefix: scan.prefix,
      cursor: cursor || undefined,
      limit: Math.min(1000, config.SWEEP_MAX_OBJECTS - examined),
    });
    examined += page.objects.length;
    const candidates = page.objects
      .filter((object) => object.uploaded.getTime() < oldEnough)
      .map((o) => o.key);
    if (candidates.length > 0) {
      const referenced = await scan.referenced(ctx, candidates);
      const keep = new Set(referenced.map((row) => row.key));
      const orphans = candidates.filter((key) => !keep.has(key));
      if (orphans.length > 0) {
        await bucket.delete(orphans);
        deleted += orphans.length;
      }
    }
    if (!page.truncated) {
      finished = true;
      break;
    }
    cursor = page.cursor;
  }
  if (finished) await bucket.delete(scan.cursorKey);
  else if (cursor) await bucket.put(scan.cursorKey, cursor);
  return { examined, deleted };
}

/** Evaluations of new model versions: created where missing, re-sent when stuck (`@edge/evaluations/sweep`). */
function sweepStuckEvaluations({ config, db, env, logger }: HandlerContext) {
  return sweepEvaluations({ config, db, queue: env.DETECT_QUEUE, logger });
}
