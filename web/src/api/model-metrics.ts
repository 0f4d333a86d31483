import type { ModelVersion } from "./models";

export type ClassMetrics = {
  name: string;
  ap50: number | null;
  ap: number | null;
  precision: number | null;
  recall: number | null;
};

/** The figures the models page compares; null where a version's metrics do not have one. */
export type MetricsSummary = {
  map50: number | null;
  map50_95: number | null;
  precision: number | null;
  recall: number | null;
  perClass: ClassMetrics[];
};

type Loose = Record<string, unknown>;

const isRecord = (value: unknown): value is Loose => typeof value === "object" && value !== null;
const numberAt = (from: Loose, ...keys: string[]): number | null => {
  for (const key of keys) {
    const value = from[key];
    if (typeof value === "number" && Number.isFinite(value)) return value;
  }
  return null;
};

function classMetrics(entry: unknown, classes: readonly string[]): ClassMetrics | null {
  if (!isRecord(entry)) return null;
  const id = numberAt(entry, "classId");
  const named =
    typeof entry.name === "string" ? entry.name : typeof entry.label === "string" ? entry.label : null;
  const name = named ?? (id === null ? null : (classes[id] ?? `class ${id}`));
  if (name === null) return null;
  return {
    name,
    ap50: numberAt(entry, "ap50", "map50"),
    ap: numberAt(entry, "ap", "ap50_95", "map50_95"),
    precision: numberAt(entry, "precision"),
    recall: numberAt(entry, "recall"),
  };
}

/**
 * Reads a version's free-form metrics (`metrics.val`: what a training run or an evaluation
 * recorded) into the figures shown side by side. Names vary by producer (`map50_95` from a
 * training run, `map` from the evaluation CLI); unknown shapes give nulls, never an error.
 */
export function summarizeMetrics(
  metrics: ModelVersion["metrics"],
  classes: readonly string[],
): MetricsSummary {
  const val: Loose = isRecord(metrics?.val) ? metrics.val : {};
  const perClass = Array.isArray(val.perClass) ? val.perClass : [];
  return {
    map50: numberAt(val, "map50"),
    map50_95: numberAt(val, "map50_95", "map"),
    precision: numberAt(val, "precision"),
    recall: numberAt(val, "recall"),
    perClass: perClass.flatMap((entry) => classMetrics(entry, classes) ?? []),
  };
}

/** A metric for a table cell: three decimals, or a dash when there is none. */
export const formatMetric = (value: number | null) => (value === null ? "–" : value.toFixed(3));

/** A difference for a table cell: signed, three decimals, or a dash when a side has no figure. */
export const formatDelta = (delta: number | null) =>
  delta === null ? "–" : `${delta >= 0 ? "+" : "−"}${Math.abs(delta).toFixed(3)}`;
