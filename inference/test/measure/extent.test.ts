/** Issue #23: an indication's own length and width, measured on synthetic films of known geometry. */
import { describe, expect, test } from "bun:test";
import { lineMm, sizeInMm } from "@common/measurement-math";
import { encodePng } from "@generator/png";
import { deriveSeed } from "@generator/prng";
import { renderSample } from "@generator/sample";
import sharp from "sharp";
import { feret, type GreyImage, measureExtent } from "../../src/measure/extent";

/** A deterministic ±amplitude noise, so a failure reproduces. */
function noise(seed: number, amplitude: number) {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return (state / 2 ** 31 - 0.5) * 2 * amplitude;
  };
}

/**
 * A film of `background` grey with a shape of `value` drawn in, anti-aliased: each pixel takes the
 * share of its 8×8 sub-samples that `inside` holds.
 */
function film(
  width: number,
  height: number,
  inside: (x: number, y: number) => boolean,
  value = 40,
): GreyImage {
  const background = 150;
  const jitter = noise(7, 3);
  const data = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let covered = 0;
      for (let sy = 0; sy < 8; sy++)
        for (let sx = 0; sx < 8; sx++) if (inside(x + (sx + 0.5) / 8, y + (sy + 0.5) / 8)) covered++;
      const share = covered / 64;
      data[y * width + x] = Math.round(background + share * (value - background) + jitter());
    }
  }
  return { data, width, height };
}

/** A straight bar from `a` of `length` at `angle` (radians) and `thickness`, with square ends. */
function bar(a: { x: number; y: number }, length: number, angle: number, thickness: number) {
  const ux = Math.cos(angle);
  const uy = Math.sin(angle);
  return (x: number, y: number) => {
    const along = (x - a.x) * ux + (y - a.y) * uy;
    const across = -(x - a.x) * uy + (y - a.y) * ux;
    return along >= 0 && along <= length && Math.abs(across) <= thickness / 2;
  };
}

describe("measureExtent", () => {
  test.each([
    [60, Math.PI / 6],
    [45.5, (37 * Math.PI) / 180],
    [80, -Math.PI / 4],
    [33, Math.PI / 2 - 0.1],
  ])("a slanted crack %d px long at %f rad measures its length within a pixel", (length, angle) => {
    const a = { x: 40, y: 60 };
    const image = film(140, 140, bar(a, length, angle, 2));
    const end = { x: a.x + length * Math.cos(angle), y: a.y + length * Math.sin(angle) };
    const margin = 5;
    const box = {
      x1: Math.min(a.x, end.x) - margin,
      y1: Math.min(a.y, end.y) - margin,
      x2: Math.max(a.x, end.x) + margin,
      y2: Math.max(a.y, end.y) + margin,
    };
    const extent = measureExtent(image, box);
    expect(extent.method).toBe("segmented");
    const measured = Math.hypot(extent.line.x2 - extent.line.x1, extent.line.y2 - extent.line.y1);
    expect(Math.abs(measured - length)).toBeLessThanOrEqual(1);
    expect(Math.abs(extent.widthPx - 2)).toBeLessThanOrEqual(1);
    // Neither the box's diagonal nor its longer side is the crack's length.
    const boxDiagonal = Math.hypot(box.x2 - box.x1, box.y2 - box.y1);
    expect(boxDiagonal - measured).toBeGreaterThan(5);
    // The line runs along the crack.
    const direction = Math.atan2(extent.line.y2 - extent.line.y1, extent.line.x2 - extent.line.x1);
    expect(Math.abs(Math.sin(direction - angle))).toBeLessThan(0.05);
  });

  test("a brighter indication (a positive image) measures the same way", () => {
    const image = film(120, 80, bar({ x: 20, y: 40 }, 70, 0.2, 3), 230);
    const extent = measureExtent(image, { x1: 12, y1: 30, x2: 100, y2: 62 });
    expect(extent.method).toBe("segmented");
    expect(Math.abs(lineMm(extent.line, { x: 1, y: 1 }) - 70)).toBeLessThanOrEqual(1);
  });

  test("a round pore 12 px across measures 12 px long and wide", () => {
    const image = film(60, 60, (x, y) => Math.hypot(x - 30.3, y - 29.6) <= 6);
    const extent = measureExtent(image, { x1: 20, y1: 20, x2: 41, y2: 40 });
    expect(extent.method).toBe("segmented");
    expect(Math.abs(lineMm(extent.line, { x: 1, y: 1 }) - 12)).toBeLessThanOrEqual(1);
    expect(Math.abs(extent.widthPx - 12)).toBeLessThanOrEqual(1);
  });

  test("a fragment of a broken crack belongs to its length", () => {
    const first = bar({ x: 10, y: 30 }, 30, 0, 2);
    const second = bar({ x: 44, y: 30 }, 26, 0, 2);
    const image = film(90, 60, (x, y) => first(x, y) || second(x, y));
    const extent = measureExtent(image, { x1: 5, y1: 24, x2: 76, y2: 36 });
    expect(Math.abs(lineMm(extent.line, { x: 1, y: 1 }) - 60)).toBeLessThanOrEqual(1);
  });

  test("no contrast in the box: the box's sides stand in, flagged as such", () => {
    const image = film(80, 60, () => false);
    const box = { x1: 10, y1: 20, x2: 50, y2: 35 };
    const extent = measureExtent(image, box);
    expect(extent).toEqual({ line: { x1: 10, y1: 27.5, x2: 50, y2: 27.5 }, widthPx: 15, method: "box" });
    const size = sizeInMm(box, { x: 0.1, y: 0.1 }, extent);
    expect(size.measured).toBe(false);
    expect(size.length).toBeCloseTo(4, 10);
    expect(size.breadth).toBeCloseTo(1.5, 10);
  });

  test("a box over the measured size keeps its sides, flagged", () => {
    const image = film(600, 500, bar({ x: 20, y: 250 }, 500, 0, 4));
    const extent = measureExtent(image, { x1: 0, y1: 0, x2: 600, y2: 500 });
    expect(extent.method).toBe("box");
  });

  test("a box filling the film is measured against its own border", () => {
    const image = film(40, 30, bar({ x: 8, y: 15 }, 24, 0, 2));
    const extent = measureExtent(image, { x1: 0, y1: 0, x2: 40, y2: 30 });
    expect(extent.method).toBe("segmented");
    expect(Math.abs(lineMm(extent.line, { x: 1, y: 1 }) - 24)).toBeLessThanOrEqual(1);
  });
});

describe("on the generator's weld films", () => {
  test("most labelled indications stand out and are measured, never longer than their box's diagonal", async () => {
    let labelled = 0;
    let measured = 0;
    for (let index = 0; index < 20; index++) {
      const sample = renderSample(deriveSeed(2024, "shipped", index), { imgsz: 640 });
      const png = await encodePng(sample.image, 8);
      const { data, info } = await sharp(png).greyscale().raw().toBuffer({ resolveWithObject: true });
      const image = { data: new Uint8Array(data), width: info.width, height: info.height };
      for (const { box } of sample.labels) {
        labelled++;
        const extent = measureExtent(image, box);
        if (extent.method !== "segmented") continue;
        measured++;
        const diagonal = Math.hypot(box.x2 - box.x1, box.y2 - box.y1);
        expect(lineMm(extent.line, { x: 1, y: 1 })).toBeLessThanOrEqual(diagonal + 1);
      }
    }
    expect(labelled).toBeGreaterThan(30);
    // 79 of 90 on the first 40 films when this was written; a background model that mistakes the
    // weld's density for noise measured 33.
    expect(measured / labelled).toBeGreaterThanOrEqual(0.8);
  });
});

describe("sizes in mm from an extent", () => {
  test("a measured line under non-square pixels", () => {
    const extent = { line: { x1: 0, y1: 0, x2: 30, y2: 40 }, widthPx: 2, method: "segmented" as const };
    const size = sizeInMm({ x1: 0, y1: 0, x2: 30, y2: 40 }, { x: 0.1, y: 0.2 }, extent);
    expect(size.measured).toBe(true);
    expect(size.length).toBeCloseTo(Math.hypot(3, 8), 10);
    // Across the line: direction (-0.8, 0.6) in pixels → (0.8·0.1, 0.6·0.2) mm per pixel.
    expect(size.breadth).toBeCloseTo(2 * Math.hypot(0.08, 0.12), 10);
    expect(size.width).toBeCloseTo(3, 10);
    expect(size.height).toBeCloseTo(8, 10);
  });

  test("feret of a single pixel is one pixel each way", () => {
    const { a, b, widthPx } = feret([{ x: 3.5, y: 4.5 }]);
    expect(Math.hypot(b.x - a.x, b.y - a.y)).toBe(1);
    expect(widthPx).toBe(1);
  });
});
