import type { Logger } from "@common/logger";
import type { Db } from "@db/client-worker";
import { modelEvaluations, modelVersions } from "@db/schema";
import { and, asc, gt, inArray, isNotNull, sql } from "drizzle-orm";
import type { Config } from "../config";
import { stuckEvaluations } from "./claim";
import { enqueueEvaluations, requestEvaluation } from "./create";

type SweepContext = { config: Config; db: Db; queue: Queue<unknown>; logger: Logger };

/** How far back the sweeper looks for versions that name a dataset but were never evaluated. */
const UNEVALUATED_LOOKBACK = sql`interval '7 days'`;

/**
 * Versions with a dataset and no evaluation (a training run's version, or one whose request was
 * lost): each gets its evaluation now.
 */
async function evaluateMissing({ config, db, queue }: SweepContext): Promise<number> {
  const missing = await db
    .select()
    .from(modelVersions)
    .where(
      and(
        isNotNull(modelVersions.datasetId),
        gt(modelVersions.createdAt, sql`now() - ${UNEVALUATED_LOOKBACK}`),
        sql`not exists (select 1 from ${modelEvaluations} where ${modelEvaluations.versionId} = ${modelVersions.id})`,
      ),
    )
    .orderBy(asc(modelVersions.createdAt))
    .limit(config.SWEEP_MAX_JOBS);
  for (const version of missing) await requestEvaluation(db, config, queue, version, null);
  return missing.length;
}

/**
 * The evaluations part of the cron sweep: creates the evaluations of versions that lack one, sends
 * again those never delivered or whose service went silent (claimed with SKIP LOCKED, as jobs
 * are), and fails those that used up EVALUATION_MAX_ATTEMPTS claims.
 */
export async function sweepEvaluations(ctx: SweepContext) {
  const { config, db, queue, logger } = ctx;
  const created = await evaluateMissing(ctx);
  const stuck = stuckEvaluations(db, config, config.SWEEP_MAX_JOBS);
  const spent = sql`${modelEvaluations.attempts} >= ${config.EVALUATION_MAX_ATTEMPTS}`;
  const failed = await db
    .update(modelEvaluations)
    .set({
      status: "failed",
      errorCode: "evaluator_lost",
      error: sql`${`no result after `}::text || ${modelEvaluations.attempts}::text || ' attempt(s)'`,
      finishedAt: sql`now()`,
      updatedAt: sql`now()`,
    })
    .where(and(inArray(modelEvaluations.id, stuck), spent))
    .returning({ id: modelEvaluations.id });
  const requeued = await db
    .update(modelEvaluations)
    .set({ status: "queued", heartbeatAt: null, enqueuedAt: sql`now()`, updatedAt: sql`now()` })
    .where(
      and(
        inArray(modelEvaluations.id, stuckEvaluations(db, config, config.SWEEP_MAX_JOBS)),
        sql`not ${spent}`,
      ),
    )
    .returning();
  // A failed send leaves them queued with a fresh enqueuedAt: the next run after the timeout tries again.
  await enqueueEvaluations(db, queue, requeued);
  const report = { created, requeued: requeued.length, failed: failed.length };
  if (created + requeued.length + failed.length > 0) logger.warn("evaluations swept", report);
  return report;
}
