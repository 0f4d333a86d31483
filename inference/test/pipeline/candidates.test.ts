import { describe, expect, test } from "bun:test";
import { DECODERS, decodeCandidates } from "../../src/pipeline/candidates";

/** Ultralytics `[B, 4 + nc, N]`: per item, channel-major rows of cx, cy, w, h, then class scores. */
function ultralytics(items: { cx: number; cy: number; w: number; h: number; scores: number[] }[][]) {
  const anchors = items[0]?.length ?? 0;
  const channels = 4 + (items[0]?.[0]?.scores.length ?? 0);
  const data = new Float32Array(items.length * channels * anchors);
  items.forEach((rows, b) => {
    rows.forEach((row, i) => {
      [row.cx, row.cy, row.w, row.h, ...row.scores].forEach((value, c) => {
        data[(b * channels + c) * anchors + i] = value;
      });
    });
  });
  return { data, dims: [items.length, channels, anchors] };
}

const ALL = { conf: 0.25, classes: null };

describe("decodeCandidates", () => {
  const output = ultralytics([
    [
      { cx: 10, cy: 10, w: 4, h: 4, scores: [0.9, 0.1] },
      { cx: 30, cy: 30, w: 8, h: 8, scores: [0.1, 0.2] },
    ],
    [
      { cx: 50, cy: 20, w: 10, h: 6, scores: [0.1, 0.7] },
      { cx: 5, cy: 5, w: 2, h: 2, scores: [0.25, 0.1] },
    ],
  ]);

  test("reads only its own item of a batched output, as xyxy boxes in input pixels", () => {
    expect(decodeCandidates("ultralytics", output, 0, ALL)).toEqual([
      { x1: 8, y1: 8, x2: 12, y2: 12, score: expect.closeTo(0.9, 5), classId: 0 },
    ]);
    expect(decodeCandidates("ultralytics", output, 1, ALL)).toEqual([
      { x1: 45, y1: 17, x2: 55, y2: 23, score: expect.closeTo(0.7, 5), classId: 1 },
    ]);
  });

  test("keeps scores strictly above conf and only the wanted classes", () => {
    expect(decodeCandidates("ultralytics", output, 1, { conf: 0.7, classes: null })).toEqual([]);
    expect(decodeCandidates("ultralytics", output, 1, { conf: 0.2, classes: null })).toHaveLength(2);
    expect(decodeCandidates("ultralytics", output, 1, { conf: 0.2, classes: [0] })).toEqual([
      { x1: 4, y1: 4, x2: 6, y2: 6, score: 0.25, classId: 0 },
    ]);
  });

  test("each layout has its decoder: YOLOv5 scores objectness × class, end-to-end rows are xyxy", () => {
    expect(Object.keys(DECODERS).sort()).toEqual(["end2end", "ultralytics", "yolov5"]);
    const yolov5 = { data: Float32Array.of(20, 20, 10, 10, 0.8, 0.5, 1), dims: [1, 1, 7] };
    expect(decodeCandidates("yolov5", yolov5, 0, ALL)).toEqual([
      { x1: 15, y1: 15, x2: 25, y2: 25, score: expect.closeTo(0.8, 5), classId: 1 },
    ]);
    const end2end = { data: Float32Array.of(1, 2, 3, 4, 0.9, 1, 5, 6, 7, 8, 0.1, 0), dims: [1, 2, 6] };
    expect(decodeCandidates("end2end", end2end, 0, ALL)).toEqual([
      { x1: 1, y1: 2, x2: 3, y2: 4, score: expect.closeTo(0.9, 5), classId: 1 },
    ]);
  });
});
