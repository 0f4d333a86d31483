/**
 * COCO-style detection metrics: greedy score-ordered matching per image and class, AP with
 * 101-point interpolated precision, averaged over IoU 0.50:0.05:0.95.
 */

import { type Box, iou } from "@inference/postprocess/boxes";

export { type Box, iou } from "@inference/postprocess/boxes";

export interface Truth {
  classId: number;
  box: Box;
}

export interface Prediction extends Truth {
  score: number;
}

export interface ImageResult {
  truths: Truth[];
  predictions: Prediction[];
}

export const IOU_THRESHOLDS: readonly number[] = Array.from({ length: 10 }, (_, i) => 0.5 + 0.05 * i);

/**
 * For predictions of one class in one image, sorted by descending score: whether each is a true
 * positive at `threshold`. Each truth is claimed by the highest-scoring prediction that overlaps it
 * best among those still unclaimed (COCO's rule).
 */
export function matchPredictions(
  predictions: readonly Prediction[],
  truths: readonly Truth[],
  threshold: number,
) {
  const taken = new Array<boolean>(truths.length).fill(false);
  return predictions.map((p) => {
    let best = -1;
    let bestIou = threshold;
    truths.forEach((t, j) => {
      if (taken[j]) return;
      const v = iou(p.box, t.box);
      if (v >= bestIou) {
        bestIou = v;
        best = j;
      }
    });
    if (best < 0) return false;
    taken[best] = true;
    return true;
  });
}

/**
 * AP from (score, true positive) pairs pooled over images: precision made monotone, then sampled at
 * recall 0, 0.01, …, 1 (precision 0 beyond the highest recall reached). NaN when there are no truths.
 */
export function averagePrecision(
  scored: ReadonlyArray<{ score: number; tp: boolean }>,
  truthCount: number,
): number {
  if (truthCount === 0) return Number.NaN;
  const sorted = [...scored].sort((a, b) => b.score - a.score);
  const recall: number[] = [];
  const precision: number[] = [];
  let tp = 0;
  sorted.forEach((s, i) => {
    if (s.tp) tp++;
    recall.push(tp / truthCount);
    precision.push(tp / (i + 1));
  });
  for (let i = precision.length - 2; i >= 0; i--) {
    precision[i] = Math.max(precision[i] ?? 0, precision[i + 1] ?? 0);
  }
  let sum = 0;
  let k = 0;
  for (let r = 0; r <= 100; r++) {
    const point = r / 100;
    while (k < recall.length && (recall[k] ?? 0) < point - 1e-12) k++;
    sum += k < precision.length ? (precision[k] ?? 0) : 0;
  }
  return sum / 101;
}

export interface ClassMetrics {
  classId: number;
  truths: number;
  /** AP at IoU 0.5. */
  ap50: number;
  /** AP averaged over IoU 0.50:0.95. */
  ap: number;
  /** At the operating threshold and IoU 0.5. */
  precision: number;
  recall: number;
}

export interface DatasetMetrics {
  /** Mean over classes that have truths. */
  map50: number;
  map: number;
  /** Micro-averaged over all classes at the operating threshold and IoU 0.5. */
  precision: number;
  recall: number;
  perClass: ClassMetrics[];
  images: number;
  truths: number;
}

const mean = (values: number[]): number => {
  const finite = values.filter((v) => Number.isFinite(v));
  return finite.length === 0 ? 0 : finite.reduce((a, b) => a + b, 0) / finite.length;
};

/**
 * Metrics over a dataset. `threshold` is the score at which precision and recall are reported (the
 * service's default confidence); AP uses every prediction given, so pass a low-confidence run.
 */
export function evaluate(
  images: readonly ImageResult[],
  numClasses: number,
  threshold: number,
): DatasetMetrics {
  const perClass: ClassMetrics[] = [];
  let totalTp = 0;
  let totalPredicted = 0;
  let totalTruths = 0;
  for (let c = 0; c < numClasses; c++) {
    const scored: Array<Array<{ score: number; tp: boolean }>> = IOU_THRESHOLDS.map(() => []);
    let truths = 0;
    let tpAtThreshold = 0;
    let predictedAtThreshold = 0;
    for (const image of images) {
      const t = image.truths.filter((x) => x.classId === c);
      const p = image.predictions.filter((x) => x.classId === c).sort((a, b) => b.score - a.score);
      truths += t.length;
      IOU_THRESHOLDS.forEach((thr, k) => {
        const tp = matchPredictions(p, t, thr);
        p.forEach((pred, i) => {
          scored[k]?.push({ score: pred.score, tp: tp[i] ?? false });
        });
      });
      // Operating point: only predictions at or above the threshold compete for truths.
      const confident = p.filter((x) => x.score >= threshold);
      predictedAtThreshold += confident.length;
      tpAtThreshold += matchPredictions(confident, t, 0.5).filter(Boolean).length;
    }
    const aps = scored.map((s) => averagePrecision(s, truths));
    perClass.push({
      classId: c,
      truths,
      ap50: aps[0] ?? Number.NaN,
      ap: truths === 0 ? Number.NaN : mean(aps),
      precision: predictedAtThreshold === 0 ? 0 : tpAtThreshold / predictedAtThreshold,
      recall: truths === 0 ? Number.NaN : tpAtThreshold / truths,
    });
    totalTp += tpAtThreshold;
    totalPredicted += predictedAtThreshold;
    totalTruths += truths;
  }
  return {
    map50: mean(perClass.map((m) => m.ap50)),
    map: mean(perClass.map((m) => m.ap)),
    precision: totalPredicted === 0 ? 0 : totalTp / totalPredicted,
    recall: totalTruths === 0 ? 0 : totalTp / totalTruths,
    perClass,
    images: images.length,
    truths: totalTruths,
  };
}
