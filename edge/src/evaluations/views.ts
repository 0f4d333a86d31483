import type { ClassEvaluation, ModelEvaluation } from "@common/contracts/evaluation";
import type { modelEvaluations } from "@db/schema";
import { formatModelRef } from "../models/names";

type EvaluationRow = typeof modelEvaluations.$inferSelect;

const HEADLINE = [
  ["mAP@0.5", "map50"],
  ["mAP@0.5:0.95", "map50_95"],
  ["precision", "precision"],
  ["recall", "recall"],
] as const;

const delta = (a: number | null, b: number | null) => (a === null || b === null ? null : a - b);

/** One class's figures for both sides, by the dataset's class id. */
function perClassRows(candidate: ClassEvaluation[], baseline: ClassEvaluation[]) {
  const byId = new Map(baseline.map((row) => [row.classId, row]));
  return candidate.map((row) => {
    const other = byId.get(row.classId);
    const side = (c: ClassEvaluation | undefined) =>
      c ? { ap50: c.ap50, ap50_95: c.ap50_95, precision: c.precision, recall: c.recall } : null;
    return {
      classId: row.classId,
      name: row.name,
      truths: row.truths,
      candidate: side(row),
      baseline: side(other),
      ap50Delta: delta(row.ap50, other?.ap50 ?? null),
    };
  });
}

/** The side-by-side table: headline metrics, then per class; empty until the evaluation succeeded. */
export function comparisonTable(candidate: ModelEvaluation, baseline: ModelEvaluation) {
  return {
    metrics: HEADLINE.map(([metric, key]) => ({
      metric,
      candidate: candidate[key],
      baseline: baseline[key],
      delta: candidate[key] - baseline[key],
    })),
    perClass: perClassRows(candidate.perClass, baseline.perClass),
  };
}

/** An evaluation as the API shows it. */
export function toEvaluation(row: EvaluationRow, version: { name: string; version: number }) {
  const figures = row.figures;
  const baseline = row.baseline;
  return {
    id: row.id,
    status: row.status,
    candidate: {
      ref: formatModelRef(version.name, version.version),
      model: figures?.candidate.model ?? null,
    },
    baseline: {
      source: baseline.source,
      ref: baseline.source === "registry" ? formatModelRef(baseline.name, baseline.version) : baseline.name,
      model: figures?.baseline.model ?? null,
    },
    datasetId: row.datasetId,
    split: "val" as const,
    attempts: row.attempts,
    error: row.errorCode === null ? null : { code: row.errorCode, message: row.error ?? "" },
    images: figures?.images ?? null,
    truths: figures?.truths ?? null,
    threshold: figures?.threshold ?? null,
    seconds: figures?.seconds ?? null,
    table: figures ? comparisonTable(figures.candidate, figures.baseline) : null,
    createdAt: row.createdAt.toISOString(),
    finishedAt: row.finishedAt?.toISOString() ?? null,
  };
}
