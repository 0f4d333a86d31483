/**
 * The shipped model on generated large 16-bit films (issue #15): tiles find what the whole-image
 * pass cannot, and a defect crossed by a tile border comes back as one box, not as fragments.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { encodeTiff } from "@generator/png";
import { deriveSeed } from "@generator/prng";
import { renderSample, type Sample } from "@generator/sample";
import { axisOrigins } from "@inference/image/tiling";
import { type Detector, loadDetector } from "@inference/model/detector";
import type { Box } from "@inference/postprocess/boxes";
import { iou } from "@inference/postprocess/boxes";
import { repoRoot } from "@scripts/local-stack/settings";

const PARAMS = { conf: 0.25, iou: 0.45, maxDet: 300, classes: null };

let detector: Detector;
const films: Array<{ sample: Sample; tiff: Buffer }> = [];

beforeAll(async () => {
  detector = await loadDetector(join(repoRoot, "inference", "models", "weld-defects.onnx"), {
    intraOpThreads: 1,
  });
  for (let i = 0; i < 3; i++) {
    const sample = renderSample(deriveSeed(15, "tiled-detection", i), { imgsz: 320, large: true });
    films.push({ sample, tiff: await encodeTiff(sample.image, 16, "detector") });
  }
}, 60_000);

afterAll(async () => {
  await detector?.dispose();
});

/** Intersection over the smaller box. */
function ios(a: Box, b: Box): number {
  const w = Math.min(a.x2, b.x2) - Math.max(a.x1, b.x1);
  const h = Math.min(a.y2, b.y2) - Math.max(a.y1, b.y1);
  if (w <= 0 || h <= 0) return 0;
  return (w * h) / Math.min((a.x2 - a.x1) * (a.y2 - a.y1), (b.x2 - b.x1) * (b.y2 - b.y1));
}

describe("tiled detection with the shipped model", () => {
  test("tiles find most defects of a large film; the whole film letterboxed finds almost none", async () => {
    let labels = 0;
    let tiled = 0;
    let whole = 0;
    for (const { sample, tiff } of films) {
      const [withTiles] = await detector.detect([tiff], { ...PARAMS, tiling: "auto" });
      const [without] = await detector.detect([tiff], { ...PARAMS, tiling: "off" });
      expect(withTiles?.timings.tiles).toBeGreaterThan(20);
      for (const label of sample.labels) {
        labels++;
        const hit = (ds: typeof without) =>
          ds?.detections.some((d) => d.classId === label.classId && iou(d.box, label.box) >= 0.5) ?? false;
        if (hit(withTiles)) tiled++;
        if (hit(without)) whole++;
      }
    }
    expect(labels).toBeGreaterThan(30);
    expect(tiled / labels).toBeGreaterThanOrEqual(0.75);
    expect(whole / labels).toBeLessThan(0.1);
  }, 60_000);

  test("a defect crossed by a tile border is found as one box, not as fragments", async () => {
    let crossed = 0;
    let found = 0;
    let fragmented = 0;
    for (const { sample, tiff } of films) {
      const { width, height } = sample.image;
      const borders = (length: number) => axisOrigins(length, 320, 0.2).flatMap((o) => [o, o + 320]);
      const xs = borders(width);
      const ys = borders(height);
      const [result] = await detector.detect([tiff], { ...PARAMS, tiling: "auto" });
      for (const label of sample.labels) {
        const { x1, y1, x2, y2 } = label.box;
        if (!xs.some((x) => x > x1 && x < x2) && !ys.some((y) => y > y1 && y < y2)) continue;
        crossed++;
        const same = result?.detections.filter((d) => d.classId === label.classId) ?? [];
        if (same.some((d) => iou(d.box, label.box) >= 0.5)) found++;
        // Pieces of the defect: boxes mostly inside its label.
        if (same.filter((d) => ios(d.box, label.box) > 0.5).length > 1) fragmented++;
      }
    }
    expect(crossed).toBeGreaterThan(10);
    expect(found / crossed).toBeGreaterThanOrEqual(0.75);
    // Per-tile NMS alone leaves 3 of these 24 in pieces; merging across tiles, 1.
    expect(fragmented / crossed).toBeLessThanOrEqual(0.05);
  }, 60_000);
});
