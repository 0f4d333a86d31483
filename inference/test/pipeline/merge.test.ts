import { describe, expect, test } from "bun:test";
import type { Candidate } from "../../src/model/decoders/types";
import { dedupeInput, mergeAcrossTiles } from "../../src/pipeline/merge";
import { type Placement, toImage } from "../../src/pipeline/placement";
import type { TiledCandidate } from "../../src/postprocess/tile-merge";

const PARAMS = { iou: 0.45, maxDet: 300 };
const candidate = (x1: number, y1: number, x2: number, y2: number, score = 0.9, classId = 0): Candidate => ({
  x1,
  y1,
  x2,
  y2,
  score,
  classId,
});

describe("dedupeInput", () => {
  const overlapping = [
    candidate(0, 0, 10, 10, 0.9),
    candidate(1, 1, 11, 11, 0.8),
    candidate(0, 0, 10, 10, 0.7, 1),
  ];

  test("raw heads go through class-aware NMS, or agnostic NMS when asked", () => {
    expect(dedupeInput(overlapping, "ultralytics", PARAMS, false).map((c) => c.score)).toEqual([0.9, 0.7]);
    expect(dedupeInput(overlapping, "yolov5", PARAMS, true).map((c) => c.score)).toEqual([0.9]);
  });

  test("end-to-end heads are not suppressed again: the best maxDet are kept", () => {
    expect(dedupeInput(overlapping, "end2end", PARAMS, true)).toHaveLength(3);
    expect(dedupeInput(overlapping, "end2end", { ...PARAMS, maxDet: 2 }, false).map((c) => c.score)).toEqual([
      0.9, 0.8,
    ]);
  });
});

describe("mergeAcrossTiles", () => {
  // A 128x64 image at its own scale, in two 64x64 tiles meeting at x = 64.
  const plan = { scaledWidth: 128, scaledHeight: 64, scaleX: 1, scaleY: 1 };
  const tile = (index: number): Placement => ({
    kind: "tile",
    index,
    x: 64 * index,
    y: 0,
    inputWidth: 64,
    inputHeight: 64,
    plan,
  });
  const place = (c: Candidate, placement: Placement): TiledCandidate => {
    const placed = toImage(c, placement);
    if (placed === null) throw new Error("box left the image");
    return { ...c, ...placed.box, tile: placed.tile, cut: placed.cut };
  };

  test("an object cut by the seam comes back as one box spanning both tiles", () => {
    // The object covers x 40..90: tile 0 sees 40..64, tile 1 sees 64..90 as 0..26.
    const left = place(candidate(40, 20, 64, 40, 0.8), tile(0));
    const right = place(candidate(0, 21, 26, 41, 0.7), tile(1));
    expect(left.cut.right && right.cut.left).toBe(true);
    const merged = mergeAcrossTiles([left, right], PARAMS, false);
    expect(merged).toHaveLength(1);
    expect(merged[0]).toMatchObject({ x1: 40, y1: 20, x2: 90, y2: 41, score: 0.8 });
  });

  test("objects on either side of the seam that do not line up stay apart, as do other classes", () => {
    const left = place(candidate(40, 0, 64, 20), tile(0));
    const below = place(candidate(0, 40, 26, 60), tile(1));
    const otherClass = place(candidate(0, 0, 26, 20, 0.5, 1), tile(1));
    expect(mergeAcrossTiles([left, below, otherClass], PARAMS, false)).toHaveLength(3);
  });

  test("a whole-image copy of a tile's box is one object, and maxDet bounds the result", () => {
    const inTile = place(candidate(10, 10, 30, 30, 0.9), tile(0));
    const whole: TiledCandidate = {
      ...candidate(11, 10, 30, 31, 0.6),
      tile: -1,
      cut: { left: false, top: false, right: false, bottom: false },
    };
    const far = place(candidate(30, 30, 50, 50, 0.5), tile(1));
    expect(mergeAcrossTiles([inTile, whole, far], PARAMS, false)).toHaveLength(2);
    expect(mergeAcrossTiles([inTile, whole, far], { ...PARAMS, maxDet: 1 }, false)).toHaveLength(1);
  });
});
