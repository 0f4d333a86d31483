import { describe, expect, test } from "bun:test";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import sharp from "sharp";
import { DEFECT_CLASSES, MIN_BOX_INPUT_PX } from "./classes";
import { dataYaml, SPLITS, sampleSeed, writeDataset, yoloLines } from "./dataset";
import { encodePng } from "./png";
import { deriveSeed, Rng } from "./prng";
import type { Box } from "./raster";
import { renderSample } from "./sample";

const IMGSZ = 320;
const SEEDS = Array.from({ length: 10 }, (_, i) => deriveSeed(42, "test", i));

describe("Rng", () => {
  test("same seed, same sequence; different seed, different sequence", () => {
    const a = new Rng(7);
    const b = new Rng(7);
    const c = new Rng(8);
    const seqA = Array.from({ length: 20 }, () => a.nextUint32());
    expect(Array.from({ length: 20 }, () => b.nextUint32())).toEqual(seqA);
    expect(Array.from({ length: 20 }, () => c.nextUint32())).not.toEqual(seqA);
  });

  test("uniform, int and normal stay in range and look like their distributions", () => {
    const rng = new Rng(1);
    const u = Array.from({ length: 20_000 }, () => rng.uniform(2, 3));
    expect(Math.min(...u)).toBeGreaterThanOrEqual(2);
    expect(Math.max(...u)).toBeLessThan(3);
    const ints = new Set(Array.from({ length: 2_000 }, () => rng.int(1, 4)));
    expect([...ints].sort()).toEqual([1, 2, 3, 4]);
    const n = Array.from({ length: 20_000 }, () => rng.normal());
    const mean = n.reduce((s, v) => s + v, 0) / n.length;
    const sd = Math.sqrt(n.reduce((s, v) => s + (v - mean) ** 2, 0) / n.length);
    expect(Math.abs(mean)).toBeLessThan(0.03);
    expect(Math.abs(sd - 1)).toBeLessThan(0.03);
  });
});

describe("renderSample", () => {
  test("is deterministic: same seed gives the same PNG bytes and labels", async () => {
    for (const seed of SEEDS.slice(0, 3)) {
      const a = renderSample(seed, { imgsz: IMGSZ });
      const b = renderSample(seed, { imgsz: IMGSZ });
      expect(b.labels).toEqual(a.labels);
      expect(Buffer.compare(await encodePng(a.image, 8), await encodePng(b.image, 8))).toBe(0);
    }
    const other = renderSample(SEEDS[3] ?? 0, { imgsz: IMGSZ });
    const first = renderSample(SEEDS[0] ?? 0, { imgsz: IMGSZ });
    expect(other.image.data).not.toEqual(first.image.data);
  }, 30_000);

  test("labels are known classes, inside the image, and at least the minimum size at model input", () => {
    let labels = 0;
    for (const seed of SEEDS) {
      const { image, labels: ls } = renderSample(seed, { imgsz: IMGSZ });
      const scale = IMGSZ / Math.max(image.width, image.height);
      for (const { classId, box } of ls) {
        labels++;
        expect(classId).toBeGreaterThanOrEqual(0);
        expect(classId).toBeLessThan(DEFECT_CLASSES.length);
        expect(box.x1).toBeGreaterThanOrEqual(0);
        expect(box.y1).toBeGreaterThanOrEqual(0);
        expect(box.x2).toBeLessThanOrEqual(image.width);
        expect(box.y2).toBeLessThanOrEqual(image.height);
        expect((box.x2 - box.x1) * scale).toBeGreaterThanOrEqual(MIN_BOX_INPUT_PX - 1e-6);
        expect((box.y2 - box.y1) * scale).toBeGreaterThanOrEqual(MIN_BOX_INPUT_PX - 1e-6);
      }
    }
    expect(labels).toBeGreaterThan(5);
  }, 30_000);

  test("labels match what was drawn: the defects' pixels lie in the boxes and every box holds a defect", () => {
    for (const seed of SEEDS) {
      const withDefects = renderSample(seed, { imgsz: IMGSZ });
      const without = renderSample(seed, { imgsz: IMGSZ, drawDefects: false });
      expect(without.labels).toEqual(withDefects.labels);
      const { width, height } = withDefects.image;
      const scale = IMGSZ / Math.max(width, height);
      // Film unsharpness spreads a defect by up to ~3σ (σ ≤ 0.9 input px) beyond its outline.
      const spread = 3 / scale + 1;
      const grown = withDefects.labels.map(({ box }) => ({
        x1: box.x1 - spread,
        y1: box.y1 - spread,
        x2: box.x2 + spread,
        y2: box.y2 + spread,
      }));
      const inside = (b: Box, x: number, y: number) =>
        x + 0.5 > b.x1 && x + 0.5 < b.x2 && y + 0.5 > b.y1 && y + 0.5 < b.y2;
      let strays = 0;
      for (let y = 0; y < height; y++) {
        for (let x = 0; x < width; x++) {
          const diff = Math.abs(
            (withDefects.image.data[y * width + x] ?? 0) - (without.image.data[y * width + x] ?? 0),
          );
          if (diff > 0.004 && !grown.some((b) => inside(b, x, y))) strays++;
        }
      }
      expect(strays).toBe(0);
      const peak = withDefects.labels.map(({ box }) => {
        let max = 0;
        for (let y = Math.floor(box.y1); y < Math.ceil(box.y2); y++) {
          for (let x = Math.floor(box.x1); x < Math.ceil(box.x2); x++) {
            const i = y * width + x;
            max = Math.max(max, Math.abs((withDefects.image.data[i] ?? 0) - (without.image.data[i] ?? 0)));
          }
        }
        return max;
      });
      for (const p of peak) expect(p).toBeGreaterThan(0.004);
    }
  }, 30_000);

  test("covers every class, no-defect films, bead-vertical films and long strips", () => {
    const seen = new Set<number>();
    let empty = 0;
    let portrait = 0;
    let strips = 0;
    for (let i = 0; i < 30; i++) {
      const s = renderSample(deriveSeed(3, "coverage", i), { imgsz: IMGSZ });
      for (const l of s.labels) seen.add(l.classId);
      if (s.labels.length === 0) empty++;
      if (s.image.height > s.image.width) portrait++;
      if (Math.max(s.image.width, s.image.height) >= 2.5 * Math.min(s.image.width, s.image.height)) strips++;
    }
    expect(seen.size).toBe(DEFECT_CLASSES.length);
    expect(empty).toBeGreaterThan(0);
    expect(portrait).toBeGreaterThan(0);
    expect(strips).toBeGreaterThan(0);
  }, 30_000);
});

describe("writeDataset", () => {
  test("writes the Ultralytics layout, labels that round-trip, and 16-bit PNG on request", async () => {
    const out = await mkdtemp(join(tmpdir(), "ndt-dataset-"));
    try {
      const counts = { train: 2, val: 1, test: 1 };
      await writeDataset({ out, seed: 5, counts, imgsz: IMGSZ, bitDepth: 16 });
      const yaml = Bun.YAML.parse(await readFile(join(out, "data.yaml"), "utf8")) as Record<string, unknown>;
      expect(yaml.names).toEqual(Object.fromEntries(DEFECT_CLASSES.map((n, i) => [i, n])));
      expect(yaml.train).toBe("images/train");
      for (const split of SPLITS) {
        const images = (await readdir(join(out, "images", split))).sort();
        const labels = (await readdir(join(out, "labels", split))).sort();
        expect(images.length).toBe(counts[split]);
        expect(labels).toEqual(images.map((n) => n.replace(/\.png$/, ".txt")));
      }
      const png = await readFile(join(out, "images", "train", "train-00000.png"));
      const meta = await sharp(png).metadata();
      expect(meta.depth).toBe("ushort");
      expect(meta.channels).toBe(1);
      const sample = renderSample(sampleSeed(5, "train", 0), { imgsz: IMGSZ });
      expect(meta.width).toBe(sample.image.width);
      const text = await readFile(join(out, "labels", "train", "train-00000.txt"), "utf8");
      expect(text).toBe(yoloLines(sample.labels, sample.image.width, sample.image.height));
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  }, 30_000);

  test("data.yaml names the classes in id order", () => {
    const yaml = Bun.YAML.parse(
      dataYaml({ seed: 1, counts: { train: 1, val: 1, test: 1 }, imgsz: 320, bitDepth: 8 }),
    );
    expect((yaml as { names: Record<string, string> }).names[5]).toBe("tungsten_inclusion");
  });
});

describe("style B films (issue #20)", () => {
  const STYLE_B_SEEDS = [deriveSeed(20, "style-b", 0), deriveSeed(20, "style-b", 1)];

  test("are deterministic 3,000–6,000 × 400–900 px strips, unlike style A for the same seed", async () => {
    for (const seed of STYLE_B_SEEDS) {
      const a = renderSample(seed, { imgsz: IMGSZ, style: "b" });
      const b = renderSample(seed, { imgsz: IMGSZ, style: "b" });
      expect(b.labels).toEqual(a.labels);
      expect(Buffer.compare(await encodePng(a.image, 8), await encodePng(b.image, 8))).toBe(0);
      expect(a.image.width).toBeGreaterThanOrEqual(3000);
      expect(a.image.width).toBeLessThanOrEqual(6000);
      expect(a.image.height).toBeGreaterThanOrEqual(400);
      expect(a.image.height).toBeLessThanOrEqual(900);
      const styleA = renderSample(seed, { imgsz: IMGSZ });
      expect(styleA.image.width).not.toBe(a.image.width);
    }
  }, 60_000);

  test("labels are inside the image, at least the minimum size, mostly porosity, and match the drawing", () => {
    let pores = 0;
    let labels = 0;
    for (const seed of STYLE_B_SEEDS) {
      const withDefects = renderSample(seed, { imgsz: IMGSZ, style: "b" });
      const without = renderSample(seed, { imgsz: IMGSZ, style: "b", drawDefects: false });
      expect(without.labels).toEqual(withDefects.labels);
      const { width, height } = withDefects.image;
      for (const { classId, box } of withDefects.labels) {
        labels++;
        if (classId === 0) pores++;
        expect(box.x1).toBeGreaterThanOrEqual(0);
        expect(box.y1).toBeGreaterThanOrEqual(0);
        expect(box.x2).toBeLessThanOrEqual(width);
        expect(box.y2).toBeLessThanOrEqual(height);
        expect(box.x2 - box.x1).toBeGreaterThanOrEqual(MIN_BOX_INPUT_PX - 1e-6);
        expect(box.y2 - box.y1).toBeGreaterThanOrEqual(MIN_BOX_INPUT_PX - 1e-6);
      }
      // Unsharpness spreads a defect by ~3σ (σ ≤ 1.1 px at scale 1) beyond its outline, and the
      // S-shaped curve's slope (up to 1.75) lifts the far tail over the threshold a little further.
      const spread = 6;
      const nearLabel = new Uint8Array(width * height);
      for (const { box } of withDefects.labels) {
        const x2 = Math.min(width, Math.ceil(box.x2 + spread));
        const y2 = Math.min(height, Math.ceil(box.y2 + spread));
        for (let y = Math.max(0, Math.floor(box.y1 - spread)); y < y2; y++) {
          nearLabel.fill(1, y * width + Math.max(0, Math.floor(box.x1 - spread)), y * width + x2);
        }
      }
      const diff = (i: number) => Math.abs((withDefects.image.data[i] ?? 0) - (without.image.data[i] ?? 0));
      let strays = 0;
      for (let i = 0; i < width * height; i++) if (diff(i) > 0.004 && !nearLabel[i]) strays++;
      expect(strays).toBe(0);
      for (const { box } of withDefects.labels) {
        let max = 0;
        for (let y = Math.floor(box.y1); y < Math.ceil(box.y2); y++) {
          for (let x = Math.floor(box.x1); x < Math.ceil(box.x2); x++)
            max = Math.max(max, diff(y * width + x));
        }
        expect(max).toBeGreaterThan(0.004);
      }
    }
    expect(labels).toBeGreaterThan(20);
    expect(pores / labels).toBeGreaterThan(0.4);
  }, 120_000);
});
