import type { Detection, ModelIdentity } from "@common/contracts/detect-result";
import type { ClassEvaluation, EvaluationItem, ModelEvaluation } from "@common/contracts/evaluation";
import { evaluate, type ImageResult, type Prediction, type Truth } from "./average-precision";

/** A validation item's boxes as the metrics read them. */
export const truthsOf = (item: Pick<EvaluationItem, "boxes">): Truth[] =>
  item.boxes.map(({ classId, x1, y1, x2, y2 }) => ({ classId, box: { x1, y1, x2, y2 } }));

/**
 * A model's detections in the dataset's class ids, matched by class name: the candidate and the
 * model it is set against may number their classes differently (a new head, classes added), and a
 * class the dataset does not have can neither hit nor miss one of its boxes, so it is left out.
 */
export function predictionsFor(detections: readonly Detection[], classes: readonly string[]): Prediction[] {
  const ids = new Map(classes.map((name, id) => [name, id]));
  const predictions: Prediction[] = [];
  for (const detection of detections) {
    const classId = ids.get(detection.label);
    if (classId !== undefined) predictions.push({ classId, score: detection.score, box: detection.box });
  }
  return predictions;
}

/** NaN (a class without boxes) is not JSON: it travels as null. */
const finiteOrNull = (value: number) => (Number.isFinite(value) ? value : null);

/** One model's figures over the images, per dataset class, in the contract's shape. */
export function scoreModel(
  model: ModelIdentity,
  images: readonly ImageResult[],
  classes: readonly string[],
  threshold: number,
): ModelEvaluation {
  const metrics = evaluate(images, classes.length, threshold);
  const perClass: ClassEvaluation[] = metrics.perClass.map((c) => ({
    classId: c.classId,
    name: classes[c.classId] ?? String(c.classId),
    truths: c.truths,
    ap50: finiteOrNull(c.ap50),
    ap50_95: finiteOrNull(c.ap),
    precision: c.precision,
    recall: finiteOrNull(c.recall),
  }));
  return {
    model,
    map50: metrics.map50,
    map50_95: metrics.map,
    precision: metrics.precision,
    recall: metrics.recall,
    perClass,
  };
}
