import { describe, expect, test } from "bun:test";
import {
  averagePrecision,
  type Box,
  evaluate,
  type ImageResult,
  iou,
  matchPredictions,
  type Prediction,
} from "@inference/eval/average-precision";

const box = (x1: number, y1: number, x2: number, y2: number): Box => ({ x1, y1, x2, y2 });
const truth = (classId: number, b: Box) => ({ classId, box: b });
const pred = (classId: number, b: Box, score: number): Prediction => ({ classId, box: b, score });

describe("iou", () => {
  test("identical, disjoint, touching and half-overlapping boxes", () => {
    expect(iou(box(0, 0, 10, 10), box(0, 0, 10, 10))).toBe(1);
    expect(iou(box(0, 0, 10, 10), box(20, 20, 30, 30))).toBe(0);
    expect(iou(box(0, 0, 10, 10), box(10, 0, 20, 10))).toBe(0);
    expect(iou(box(0, 0, 10, 10), box(5, 0, 15, 10))).toBeCloseTo(50 / 150, 12);
  });
});

describe("matchPredictions", () => {
  test("a truth is claimed once; the duplicate is a false positive", () => {
    const t = [truth(0, box(0, 0, 10, 10))];
    const p = [pred(0, box(0, 0, 10, 10), 0.9), pred(0, box(1, 0, 11, 10), 0.8)];
    expect(matchPredictions(p, t, 0.5)).toEqual([true, false]);
  });

  test("each prediction takes its best-overlapping unclaimed truth", () => {
    const t = [truth(0, box(0, 0, 10, 10)), truth(0, box(8, 0, 18, 10))];
    const p = [pred(0, box(7, 0, 17, 10), 0.9), pred(0, box(0, 0, 10, 10), 0.8)];
    expect(matchPredictions(p, t, 0.5)).toEqual([true, true]);
  });
});

describe("averagePrecision (101-point)", () => {
  test("all truths found before any false positive: 1", () => {
    const scored = [
      { score: 0.9, tp: true },
      { score: 0.8, tp: true },
      { score: 0.1, tp: false },
    ];
    expect(averagePrecision(scored, 2)).toBe(1);
  });

  test("a false positive ranked first: precision 1/2 at every recall", () => {
    expect(
      averagePrecision(
        [
          { score: 0.9, tp: false },
          { score: 0.8, tp: true },
        ],
        1,
      ),
    ).toBeCloseTo(0.5, 12);
  });

  test("half the truths found: recall points 0..0.5 count, the rest are 0", () => {
    expect(averagePrecision([{ score: 0.9, tp: true }], 2)).toBeCloseTo(51 / 101, 12);
  });

  test("no predictions: 0; no truths: NaN", () => {
    expect(averagePrecision([], 3)).toBe(0);
    expect(averagePrecision([{ score: 0.5, tp: false }], 0)).toBeNaN();
  });

  test("precision is made monotone (interpolated) before sampling", () => {
    // Ranks: TP, FP, TP → precision 1, 0.5, 0.667 at recall 0.5, 0.5, 1.
    const scored = [
      { score: 0.9, tp: true },
      { score: 0.8, tp: false },
      { score: 0.7, tp: true },
    ];
    expect(averagePrecision(scored, 2)).toBeCloseTo((51 * 1 + 50 * (2 / 3)) / 101, 12);
  });
});

describe("evaluate", () => {
  test("perfect detections give mAP 1, precision 1, recall 1", () => {
    const images: ImageResult[] = [
      { truths: [truth(0, box(0, 0, 10, 10))], predictions: [pred(0, box(0, 0, 10, 10), 0.9)] },
      { truths: [truth(1, box(5, 5, 25, 15))], predictions: [pred(1, box(5, 5, 25, 15), 0.8)] },
    ];
    const m = evaluate(images, 2, 0.25);
    expect(m.map50).toBe(1);
    expect(m.map).toBe(1);
    expect(m.precision).toBe(1);
    expect(m.recall).toBe(1);
    expect(m.truths).toBe(2);
  });

  test("a box at IoU 0.62 counts at 0.50, 0.55 and 0.60 only: AP50-95 = 0.3", () => {
    // 10×10 truth, prediction shifted so the overlap is 0.62 of the union.
    const shift = 10 - (2 * 10 * 0.62) / 1.62;
    const images = [
      { truths: [truth(0, box(0, 0, 10, 10))], predictions: [pred(0, box(shift, 0, 10 + shift, 10), 0.9)] },
    ];
    expect(iou(images[0]?.truths[0]?.box ?? box(0, 0, 0, 0), box(shift, 0, 10 + shift, 10))).toBeCloseTo(
      0.62,
      9,
    );
    const m = evaluate(images, 1, 0.25);
    expect(m.map50).toBe(1);
    expect(m.map).toBeCloseTo(0.3, 12);
  });

  test("a right box with the wrong class is a false positive and a miss", () => {
    const images = [
      { truths: [truth(0, box(0, 0, 10, 10))], predictions: [pred(1, box(0, 0, 10, 10), 0.9)] },
    ];
    const m = evaluate(images, 2, 0.25);
    expect(m.perClass[0]?.ap50).toBe(0);
    expect(m.perClass[1]?.ap50).toBeNaN();
    // Class 1 has no truths, so it is left out of the mean.
    expect(m.map50).toBe(0);
    expect(m.precision).toBe(0);
    expect(m.recall).toBe(0);
  });

  test("precision and recall are taken at the threshold; AP uses every score", () => {
    const images = [
      {
        truths: [truth(0, box(0, 0, 10, 10)), truth(0, box(20, 0, 30, 10))],
        predictions: [
          pred(0, box(0, 0, 10, 10), 0.9),
          pred(0, box(50, 50, 60, 60), 0.6),
          pred(0, box(20, 0, 30, 10), 0.1),
        ],
      },
    ];
    const m = evaluate(images, 1, 0.25);
    expect(m.precision).toBeCloseTo(0.5, 12);
    expect(m.recall).toBeCloseTo(0.5, 12);
    // Ranks TP, FP, TP: precision 1 up to recall 0.5, then 2/3.
    expect(m.map50).toBeCloseTo((51 + 50 * (2 / 3)) / 101, 12);
  });

  test("AP pools detections across images before ranking", () => {
    const images = [
      { truths: [truth(0, box(0, 0, 10, 10))], predictions: [pred(0, box(40, 40, 50, 50), 0.95)] },
      { truths: [truth(0, box(0, 0, 10, 10))], predictions: [pred(0, box(0, 0, 10, 10), 0.5)] },
    ];
    // Ranks FP (image 1), TP (image 2): recall reaches 0.5 at precision 0.5.
    expect(evaluate(images, 1, 0.25).map50).toBeCloseTo((51 * 0.5) / 101, 12);
  });

  test("images without truths only add false positives", () => {
    const images = [
      { truths: [truth(0, box(0, 0, 10, 10))], predictions: [pred(0, box(0, 0, 10, 10), 0.9)] },
      { truths: [], predictions: [pred(0, box(0, 0, 10, 10), 0.3)] },
    ];
    const m = evaluate(images, 1, 0.25);
    expect(m.map50).toBe(1);
    expect(m.precision).toBeCloseTo(0.5, 12);
    expect(m.images).toBe(2);
  });
});
