import { describe, expect, test } from "bun:test";
import type { Candidate } from "../src/model/decoders/types";
import { iou } from "../src/postprocess/boxes";
import { nms, topK } from "../src/postprocess/nms";

const box = (x1: number, y1: number, x2: number, y2: number, score: number, classId = 0): Candidate => ({
  x1,
  y1,
  x2,
  y2,
  score,
  classId,
});

describe("iou", () => {
  test("identical, disjoint, touching and half-overlapping boxes", () => {
    expect(iou(box(0, 0, 10, 10, 1), box(0, 0, 10, 10, 1))).toBe(1);
    expect(iou(box(0, 0, 10, 10, 1), box(20, 20, 30, 30, 1))).toBe(0);
    expect(iou(box(0, 0, 10, 10, 1), box(10, 0, 20, 10, 1))).toBe(0);
    expect(iou(box(0, 0, 10, 10, 1), box(5, 0, 15, 10, 1))).toBeCloseTo(50 / 150, 10);
  });
});

describe("nms", () => {
  const overlapping = [box(0, 0, 10, 10, 0.6), box(1, 0, 11, 10, 0.9), box(50, 50, 60, 60, 0.5)];

  test("keeps the best of overlapping boxes, ordered by score", () => {
    expect(nms(overlapping, { iou: 0.5, maxDet: 100 })).toEqual([
      overlapping[1],
      overlapping[2],
    ] as Candidate[]);
  });

  test("is class-aware unless agnostic", () => {
    const mixed = [box(0, 0, 10, 10, 0.9, 0), box(0, 0, 10, 10, 0.8, 1)];
    expect(nms(mixed, { iou: 0.5, maxDet: 100 })).toHaveLength(2);
    expect(nms(mixed, { iou: 0.5, maxDet: 100, agnostic: true })).toEqual([mixed[0] as Candidate]);
  });

  test("an IoU exactly at the threshold is not suppressed", () => {
    const pair = [box(0, 0, 10, 10, 0.9), box(5, 0, 15, 10, 0.8)];
    expect(nms(pair, { iou: 50 / 150, maxDet: 10 })).toHaveLength(2);
  });

  test("maxDet, maxCandidates and empty input", () => {
    expect(nms(overlapping, { iou: 1, maxDet: 2 }).map((c) => c.score)).toEqual([0.9, 0.6]);
    expect(nms(overlapping, { iou: 1, maxDet: 10, maxCandidates: 1 }).map((c) => c.score)).toEqual([0.9]);
    expect(nms([], { iou: 0.5, maxDet: 10 })).toEqual([]);
  });

  test("does not reorder the caller's array", () => {
    const input = [...overlapping];
    nms(input, { iou: 0.5, maxDet: 10 });
    expect(input).toEqual(overlapping);
  });
});

test("topK keeps the highest scores without suppression", () => {
  const rows = [box(0, 0, 1, 1, 0.2), box(0, 0, 1, 1, 0.9), box(0, 0, 1, 1, 0.5)];
  expect(topK(rows, 2).map((c) => c.score)).toEqual([0.9, 0.5]);
});
