/**
 * Issue #24: with the default `tiling=auto`, a large object in a 4000-px image is found whole, as
 * with tiling off. Ordinary generated films with a long lack-of-fusion line (a quarter of the film)
 * are enlarged to 4,000 px, as a photo of a plate would be: `auto` tiles them at the model's
 * resolution, where the line spans four or more tiles and the tiles alone do not find it, so only
 * the whole-image pass (SAHI's) does, and the merge must keep it whole beside the tiles' boxes.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { encodePng } from "@generator/png";
import { renderSample } from "@generator/sample";
import { type Detector, loadDetector } from "@inference/model/detector";
import { type Box, iou } from "@inference/postprocess/boxes";
import { repoRoot } from "@scripts/local-stack/settings";
import sharp from "sharp";

const MODEL = join(repoRoot, "inference", "models", "weld-defects.onnx");
const PARAMS = { conf: 0.25, iou: 0.45, maxDet: 300, classes: null };
const LONG_SIDE = 4000;
/** Generator seeds of easy films whose largest defect is a lack-of-fusion line ≥ 27 % of the film. */
const SEEDS = [25, 181];

interface LargeFilm {
  image: Buffer;
  classId: number;
  /** The largest defect's box, in the enlarged image's pixels. */
  truth: Box;
}

let detector: Detector;
let tilesOnly: Detector;
const films: LargeFilm[] = [];

async function largeFilm(seed: number): Promise<LargeFilm> {
  const sample = renderSample(seed, { imgsz: 320 });
  const { width, height } = sample.image;
  const scale = LONG_SIDE / Math.max(width, height);
  const [w, h] = [Math.round(width * scale), Math.round(height * scale)];
  const image = await sharp(await encodePng(sample.image, 8))
    .resize(w, h, { kernel: "cubic" })
    .png()
    .toBuffer();
  const side = (b: Box) => Math.max(b.x2 - b.x1, b.y2 - b.y1);
  const largest = sample.labels.reduce((a, b) => (side(b.box) > side(a.box) ? b : a));
  const { x1, y1, x2, y2 } = largest.box;
  const [sx, sy] = [w / width, h / height];
  return { image, classId: largest.classId, truth: { x1: x1 * sx, y1: y1 * sy, x2: x2 * sx, y2: y2 * sy } };
}

beforeAll(async () => {
  detector = await loadDetector(MODEL, { intraOpThreads: 1 });
  tilesOnly = await loadDetector(MODEL, { intraOpThreads: 1, tiling: { autoWholeImage: false } });
  for (const seed of SEEDS) films.push(await largeFilm(seed));
}, 60_000);

afterAll(async () => {
  await detector?.dispose();
  await tilesOnly?.dispose();
});

/** How much of `truth` the box covers. */
function coverage(box: Box, truth: Box): number {
  const w = Math.min(box.x2, truth.x2) - Math.max(box.x1, truth.x1);
  const h = Math.min(box.y2, truth.y2) - Math.max(box.y1, truth.y1);
  if (w <= 0 || h <= 0) return 0;
  return (w * h) / ((truth.x2 - truth.x1) * (truth.y2 - truth.y1));
}

/** Inside the truth by at least half its own area: a piece of it. */
function isPiece(box: Box, truth: Box): boolean {
  const w = Math.min(box.x2, truth.x2) - Math.max(box.x1, truth.x1);
  const h = Math.min(box.y2, truth.y2) - Math.max(box.y1, truth.y1);
  return w > 0 && h > 0 && (w * h) / ((box.x2 - box.x1) * (box.y2 - box.y1)) > 0.5;
}

async function sameClass(model: Detector, film: LargeFilm, tiling: "auto" | "off") {
  const [result] = await model.detect([film.image], { ...PARAMS, tiling });
  if (!result) throw new Error("no result");
  const boxes = result.detections.filter((d) => d.classId === film.classId).map((d) => d.box);
  return { tiles: result.timings.tiles ?? 1, boxes };
}

const whole = (film: LargeFilm) => (box: Box) =>
  coverage(box, film.truth) >= 0.8 && iou(box, film.truth) >= 0.5;

describe("a large object in a 4000-px image", () => {
  test("is found whole with tiling off", async () => {
    for (const film of films) {
      const { tiles, boxes } = await sameClass(detector, film, "off");
      expect(tiles).toBe(1);
      expect(boxes.filter(whole(film))).toHaveLength(1);
    }
  }, 60_000);

  test("is found whole with the default auto (tiles plus a whole-image pass), not in pieces", async () => {
    for (const film of films) {
      const { tiles, boxes } = await sameClass(detector, film, "auto");
      expect(tiles).toBeGreaterThan(40);
      expect(boxes.filter(whole(film))).toHaveLength(1);
      expect(boxes.filter((b) => isPiece(b, film.truth))).toHaveLength(1);
    }
  }, 120_000);

  test("is lost by the tiles alone, which is why auto adds the whole-image pass", async () => {
    for (const film of films) {
      const { tiles, boxes } = await sameClass(tilesOnly, film, "auto");
      expect(tiles).toBeGreaterThan(40);
      expect(boxes.filter(whole(film))).toHaveLength(0);
    }
  }, 120_000);
});
