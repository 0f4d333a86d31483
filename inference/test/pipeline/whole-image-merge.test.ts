import { describe, expect, test } from "bun:test";
import type { Candidate } from "../../src/model/decoders/types";
import { mergeAcrossTiles } from "../../src/pipeline/merge";
import { NO_CUT, type Placement, toImage } from "../../src/pipeline/placement";
import {
  DEFAULT_WHOLE_IMAGE_MERGE,
  mergeWholeImage,
  type TiledCandidate,
} from "../../src/postprocess/tile-merge";

/**
 * Synthetic candidate sets for SAHI-style merging: a 256x128 image at its own scale, cut into
 * eight 64x64 tiles (four across, two down, no overlap; tile `row·4 + column`), plus the
 * whole-image pass (tile −1).
 */
const PARAMS = { iou: 0.45, maxDet: 300 };
const plan = { scaledWidth: 256, scaledHeight: 128, scaleX: 1, scaleY: 1 };
const tile = (column: number, row: number): Placement => ({
  kind: "tile",
  index: row * 4 + column,
  x: 64 * column,
  y: 64 * row,
  inputWidth: 64,
  inputHeight: 64,
  plan,
});
type Corners = [number, number, number, number];
const candidate = ([x1, y1, x2, y2]: Corners, score: number, classId = 0): Candidate => ({
  x1,
  y1,
  x2,
  y2,
  score,
  classId,
});
/** A box given in image pixels, as the tile at (column, row) saw it. */
function inTile(corners: Corners, column: number, row: number, score: number, classId = 0): TiledCandidate {
  const [x1, y1, x2, y2] = corners;
  const [dx, dy] = [64 * column, 64 * row];
  const placed = toImage(candidate([x1 - dx, y1 - dy, x2 - dx, y2 - dy], score, classId), tile(column, row));
  if (placed === null) throw new Error("box left the tile");
  return { ...candidate(corners, score, classId), ...placed.box, tile: placed.tile, cut: placed.cut };
}
const wholeImage = (corners: Corners, score: number, classId = 0): TiledCandidate => ({
  ...candidate(corners, score, classId),
  tile: -1,
  cut: NO_CUT,
});
const corners = (c: Candidate): Corners => [c.x1, c.y1, c.x2, c.y2];

/** A long object (x 20..230, y 40..90) across six tiles, found whole by the whole-image pass. */
const LARGE = wholeImage([18, 38, 232, 92], 0.8);
const FRAGMENTS = [
  inTile([20, 40, 64, 64], 0, 0, 0.6), // cut right and bottom
  inTile([70, 40, 100, 60], 1, 0, 0.7), // a piece seen entirely inside one tile
  inTile([105, 45, 128, 64], 1, 0, 0.5), // a second piece of that same tile
  inTile([64, 64, 120, 90], 1, 1, 0.55), // cut left and top
  inTile([150, 50, 200, 80], 2, 0, 0.65),
];

describe("tiles plus a whole-image pass, merged as SAHI does", () => {
  test("a large object split across tiles and also found whole comes back as one box", () => {
    const merged = mergeAcrossTiles([...FRAGMENTS, LARGE], PARAMS, false);
    expect(merged).toHaveLength(1);
    expect(corners(merged[0] as Candidate)).toEqual([18, 38, 232, 92]);
    // It keeps the best score of its pieces.
    expect(merged[0]?.score).toBe(0.8);
  });

  test("a fragment scoring above the whole box is still a fragment; the whole box takes its score", () => {
    const merged = mergeAcrossTiles([...FRAGMENTS, wholeImage([18, 38, 232, 92], 0.4)], PARAMS, false);
    expect(merged.map(corners)).toEqual([[18, 38, 232, 92]]);
    expect(merged[0]?.score).toBe(0.7);
  });

  test("small objects found only by tiles are kept, inside or outside the large box", () => {
    const small = [
      inTile([200, 5, 210, 15], 3, 0, 0.9), // outside it
      inTile([30, 100, 40, 110], 0, 1, 0.3), // outside it, faint
      inTile([140, 50, 150, 60], 2, 0, 0.9, 1), // inside it, another class
    ];
    const merged = mergeAcrossTiles([...FRAGMENTS, LARGE, ...small], PARAMS, false);
    expect(merged.map(corners).sort()).toEqual(
      [[18, 38, 232, 92], ...small.map(corners)].sort() as Corners[],
    );
  });

  test("class-aware: boxes of another class inside the large box stay, unless the job is agnostic", () => {
    const otherClass = FRAGMENTS.map((f) => ({ ...f, classId: 2 }));
    expect(mergeAcrossTiles([...otherClass, LARGE], PARAMS, false)).toHaveLength(1 + otherClass.length);
    const agnostic = mergeAcrossTiles([...otherClass, LARGE], PARAMS, true);
    expect(agnostic.map(corners)).toEqual([[18, 38, 232, 92]]);
  });

  test("tile fragments are suppressed by intersection over their own area, not IoU", () => {
    // Each fragment has a small IoU with the large box but lies inside it.
    const inside = FRAGMENTS.filter((f) => {
      const w = Math.min(f.x2, LARGE.x2) - Math.max(f.x1, LARGE.x1);
      const h = Math.min(f.y2, LARGE.y2) - Math.max(f.y1, LARGE.y1);
      return (w * h) / ((f.x2 - f.x1) * (f.y2 - f.y1)) >= DEFAULT_WHOLE_IMAGE_MERGE.ios;
    });
    expect(inside).toHaveLength(FRAGMENTS.length);
    // One that mostly sticks out of it is another object.
    const outside = inTile([200, 70, 250, 128], 3, 1, 0.6);
    const merged = mergeAcrossTiles([...FRAGMENTS, LARGE, outside], PARAMS, false);
    expect(merged.map(corners)).toEqual([[18, 38, 232, 92], corners(outside)]);
  });

  test("a faint whole-image box does not swallow a confident small box inside it", () => {
    const faint = wholeImage([18, 38, 232, 92], 0.2);
    const pore = inTile([80, 50, 90, 60], 1, 0, 0.9);
    const merged = mergeAcrossTiles([pore, faint], PARAMS, false);
    expect(merged.map((c) => c.score)).toEqual([0.9, 0.2]);
  });

  test("an object the tiles joined across a seam suppresses a partial whole-image box", () => {
    const left = inTile([40, 20, 64, 40], 0, 0, 0.8);
    const right = inTile([64, 21, 90, 41], 1, 0, 0.7);
    const partial = wholeImage([42, 22, 60, 39], 0.5);
    const merged = mergeAcrossTiles([left, right, partial], PARAMS, false);
    expect(merged.map(corners)).toEqual([[40, 20, 90, 41]]);
  });

  test("nothing is lost at seams: cut pieces still join, and a whole-image copy is one box", () => {
    // Pieces of one object cut by the seam at x = 64; the whole-image pass saw a far object only.
    const left = inTile([40, 20, 64, 40], 0, 0, 0.8);
    const right = inTile([64, 21, 90, 41], 1, 0, 0.7);
    // Objects on either side of the seam at y = 64 that do not line up stay two.
    const above = inTile([150, 44, 170, 64], 2, 0, 0.6);
    const below = inTile([180, 64, 200, 84], 2, 1, 0.6);
    const far = wholeImage([220, 100, 250, 120], 0.7);
    const merged = mergeAcrossTiles([left, right, above, below, far], PARAMS, false);
    expect(merged.map(corners).sort()).toEqual(
      [[40, 20, 90, 41], corners(above), corners(below), [220, 100, 250, 120]].sort() as Corners[],
    );
    // A small object on the seam, also found by the whole-image pass: one box, the better one.
    const copy = wholeImage([41, 19, 91, 42], 0.6);
    expect(mergeAcrossTiles([left, right, copy], PARAMS, false).map(corners)).toEqual([[40, 20, 90, 41]]);
  });

  test("without a whole-image box the tiles' boxes pass through unchanged", () => {
    expect(
      mergeWholeImage(FRAGMENTS, [], { ...DEFAULT_WHOLE_IMAGE_MERGE, iou: 0.45, agnostic: false }),
    ).toEqual(FRAGMENTS);
  });
});
