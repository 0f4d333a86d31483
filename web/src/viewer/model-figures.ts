import { shippedModelFigures } from "@common/models/shipped-model-figures";
import { summarizeMetrics } from "../api/model-metrics";
import { resultModelOf } from "../api/model-ref";
import type { ModelVersion } from "../api/models";
import type { Job } from "../api/types";

/** One class's precision and recall, as the model's evaluation counted them. */
export type ClassFigures = { name: string; precision: number | null; recall: number | null };

/** What the viewer can tell of what a job's model's confidence scores are worth. */
export type ModelFigures = {
  /** The confidence precision and recall were counted at; null where the figures do not say. */
  threshold: number | null;
  /** What the figures were measured on. */
  evaluatedOn: string;
  /** Where the model's training data came from. */
  trainedOn: string;
  caveat: string | null;
  perClass: ClassFigures[];
};

/** The figures of a shipped model, from its card; null for a file the card does not describe. */
export function shippedFigures(model: Job["model"]): ModelFigures | null {
  const figures = shippedModelFigures(model.sha256);
  if (!figures) return null;
  return {
    threshold: figures.threshold,
    evaluatedOn: figures.evaluatedOn,
    trainedOn: `${figures.trainedOn} (${figures.name} ${figures.version} model card)`,
    caveat: figures.caveat,
    perClass: figures.perClass.map(({ name, precision, recall }) => ({ name, precision, recall })),
  };
}

type Loose = Record<string, unknown>;
const record = (value: unknown): Loose =>
  typeof value === "object" && value !== null ? (value as Loose) : {};
const shortId = (id: string) => id.slice(0, 8);

/**
 * The figures of a registry version: the inference service's evaluation on its dataset's val split
 * when there was one (its threshold is recorded), else what its uploader or training run reported.
 */
export function versionFigures(version: ModelVersion): ModelFigures {
  const summary = summarizeMetrics(version.metrics, version.classes);
  const evaluation = record(version.metrics?.evaluation);
  const threshold = typeof evaluation.threshold === "number" ? evaluation.threshold : null;
  const images = typeof evaluation.images === "number" ? `${evaluation.images} ` : "";
  const dataset = version.datasetId ? `dataset ${shortId(version.datasetId)}` : null;
  const lineage = version.baseModel ? `, fine-tuned from ${version.baseModel}` : "";
  return {
    threshold,
    evaluatedOn:
      threshold === null
        ? "the validation split its uploader or training run reported"
        : `the ${images}validation films of ${dataset ?? "its dataset"}, by the inference service`,
    trainedOn: `${dataset ? `the films of ${dataset}` : "data its uploader did not name"}${lineage}`,
    caveat: null,
    perClass: summary.perClass.map(({ name, precision, recall }) => ({ name, precision, recall })),
  };
}

type FiguresSource = { kind: "shipped" } | { kind: "registry"; name: string; version: number };

/** Where a job's model's figures come from: the card of a shipped model, or a registry version. */
export function figuresSource(model: Job["model"]): FiguresSource {
  const { name } = resultModelOf(model);
  const at = model.requested.lastIndexOf("@");
  const version = Number(model.requested.slice(at + 1));
  return at > 0 && Number.isInteger(version) ? { kind: "registry", name, version } : { kind: "shipped" };
}

/** A share as a whole percentage, "–" without one. */
export const percent = (value: number | null) => (value === null ? "–" : `${Math.round(value * 100)} %`);
