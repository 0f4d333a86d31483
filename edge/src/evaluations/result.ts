import type { EvaluationResult, EvaluationResultAnswer, ModelEvaluation } from "@common/contracts/evaluation";
import type { Db } from "@db/client-worker";
import {
  type EvaluationBaseline,
  type ModelMetrics,
  modelEvaluations,
  modelVersions,
  users,
} from "@db/schema";
import { and, eq, inArray, sql } from "drizzle-orm";
import { modelCard } from "../models/card";
import { formatModelRef } from "../models/names";

type Succeeded = Extract<EvaluationResult, { status: "succeeded" }>;
type EvaluationRow = typeof modelEvaluations.$inferSelect;

const unfinished = (id: string) =>
  and(eq(modelEvaluations.id, id), inArray(modelEvaluations.status, ["queued", "running"]));

/** One side's figures as a version's metrics keep them. */
const figures = ({ map50, map50_95, precision, recall, perClass }: ModelEvaluation) => ({
  map50,
  map50_95,
  precision,
  recall,
  perClass,
});

/**
 * The version's metrics once evaluated: `val` becomes the service's figures for it (what the
 * promotion gate reads), `baseline` the compared model's identity and figures; a `val` the
 * uploader or trainer reported before is kept as `reportedVal`.
 */
export function evaluatedMetrics(
  previous: ModelMetrics | null,
  evaluation: Pick<EvaluationRow, "id" | "datasetId"> & { baseline: EvaluationBaseline },
  result: Succeeded,
): ModelMetrics {
  const { val: reported, reportedVal, ...rest } = previous ?? {};
  const kept = reportedVal ?? (reported && !previous?.evaluation ? reported : undefined);
  const baseline = evaluation.baseline;
  return {
    ...rest,
    ...(kept === undefined ? {} : { reportedVal: kept }),
    val: figures(result.candidate),
    baseline: {
      source: baseline.source,
      ref: baseline.source === "registry" ? formatModelRef(baseline.name, baseline.version) : baseline.name,
      model: result.baseline.model,
      ...figures(result.baseline),
    },
    evaluation: {
      id: evaluation.id,
      datasetId: evaluation.datasetId,
      split: "val",
      images: result.images,
      truths: result.truths,
      threshold: result.threshold,
      seconds: result.seconds,
    },
  };
}

/**
 * A succeeded result, in one transaction: the version's metrics and regenerated card, then the
 * evaluation itself, both only while it is unfinished, so a repeated result changes nothing.
 */
async function applySucceeded(
  db: Db,
  row: EvaluationRow,
  result: Succeeded,
): Promise<EvaluationResultAnswer> {
  const [version] = await db
    .select({ version: modelVersions, email: users.email })
    .from(modelVersions)
    .leftJoin(users, eq(users.id, modelVersions.createdBy))
    .where(eq(modelVersions.id, row.versionId));
  if (!version) return { outcome: "ignored" };
  const metrics = evaluatedMetrics(version.version.metrics, row, result);
  const card = modelCard({ ...version.version, metrics, createdByEmail: version.email });
  const [, done] = await db.batch([
    db
      .update(modelVersions)
      .set({ metrics, card })
      .where(
        and(
          eq(modelVersions.id, row.versionId),
          sql`exists (select 1 from ${modelEvaluations} where ${unfinished(row.id)})`,
        ),
      ),
    db
      .update(modelEvaluations)
      .set({
        status: "succeeded",
        figures: {
          images: result.images,
          truths: result.truths,
          threshold: result.threshold,
          seconds: result.seconds,
          candidate: result.candidate,
          baseline: result.baseline,
        },
        errorCode: null,
        error: null,
        finishedAt: sql`now()`,
        updatedAt: sql`now()`,
      })
      .where(unfinished(row.id))
      .returning({ id: modelEvaluations.id }),
  ]);
  return { outcome: done.length > 0 ? "applied" : "duplicate" };
}

/**
 * The service's result, idempotent on the evaluation id: the first terminal result wins. A
 * permanent failure ends it; a retryable one is kept as its last error and puts it back to
 * `queued` for the message's redelivery (only from the current attempt).
 */
export async function applyEvaluationResult(
  db: Db,
  id: string,
  result: EvaluationResult,
): Promise<EvaluationResultAnswer> {
  const [row] = await db.select().from(modelEvaluations).where(eq(modelEvaluations.id, id));
  if (!row) return { outcome: "ignored" };
  if (row.status === "succeeded" || row.status === "failed") return { outcome: "duplicate" };
  if (result.status === "succeeded") return applySucceeded(db, row, result);
  const { code, message, permanent } = result.error;
  const [updated] = await db
    .update(modelEvaluations)
    .set(
      permanent
        ? { status: "failed", errorCode: code, error: message, finishedAt: sql`now()`, updatedAt: sql`now()` }
        : { status: "queued", errorCode: code, error: message, heartbeatAt: null, updatedAt: sql`now()` },
    )
    .where(and(unfinished(id), eq(modelEvaluations.attempts, result.attempt)))
    .returning({ id: modelEvaluations.id });
  if (!updated) return { outcome: "ignored" };
  return { outcome: permanent ? "applied" : "recorded_retry" };
}
