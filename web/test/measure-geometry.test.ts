/** Issue #23: the viewer's measuring arithmetic, without a browser. */
import { describe, expect, test } from "bun:test";
import { extentForBox } from "@common/measurement-math";
import type { Film } from "../src/viewer/film";
import {
  indicationSize,
  indicationSizeText,
  lengthText,
  pathLength,
  scaleBar,
  snapToPixel,
  valueAt,
  zoomPercent,
} from "../src/viewer/measure-geometry";

describe("lengths on the film", () => {
  test("points snap to the centre of the pixel under them, within the film", () => {
    expect(snapToPixel({ x: 10.97, y: 3.02 }, { width: 20, height: 10 })).toEqual({ x: 10.5, y: 3.5 });
    expect(snapToPixel({ x: -4, y: 12 }, { width: 20, height: 10 })).toEqual({ x: 0.5, y: 9.5 });
  });

  test("a polyline's length sums its segments, in mm under non-square pixels", () => {
    const path = [
      { x: 0.5, y: 0.5 },
      { x: 30.5, y: 40.5 },
      { x: 30.5, y: 50.5 },
    ];
    expect(pathLength(path, null)).toBeCloseTo(60, 10);
    expect(pathLength(path, { x: 0.1, y: 0.2 })).toBeCloseTo(Math.hypot(3, 8) + 2, 10);
    expect(lengthText(12.345, true)).toBe("12.35 mm");
    expect(lengthText(60, false)).toBe("60.0 px (uncalibrated)");
  });

  test("zoom is in film pixels per screen pixel", () => {
    expect(zoomPercent(1)).toBe("100 %");
    expect(zoomPercent(2.444)).toBe("244 %");
    expect(zoomPercent(0.025)).toBe("2.5 %");
  });

  test("the scale bar is a round length between 60 and 160 screen pixels", () => {
    // 0.1 mm pixels at 244 %: 60 CSS px are 2.46 mm, so 5 mm, 122 px.
    const bar = scaleBar(2.44, { x: 0.1, y: 0.1 });
    expect(bar.label).toBe("5 mm");
    expect(bar.cssLength).toBeCloseTo(122, 6);
    for (const scale of [0.03, 0.2, 1, 7, 31]) {
      const each = scaleBar(scale, { x: 0.05, y: 0.05 });
      expect(each.cssLength).toBeGreaterThanOrEqual(60);
      expect(each.cssLength).toBeLessThanOrEqual(160);
      expect(each.label).toMatch(/^\d+(\.\d+)? mm$/);
      const amount = Number.parseFloat(each.label);
      expect([1, 2, 5]).toContain(Math.round(amount / 10 ** Math.floor(Math.log10(amount))));
    }
    expect(scaleBar(1, null).label).toBe("100 px (uncalibrated)");
  });
});

describe("values under the pointer", () => {
  const film = (
    values: Film["values"],
    channels: 1 | 4,
    rescale?: { slope: number; intercept: number },
  ): Film => ({
    width: 2,
    height: 1,
    channels,
    values,
    info: { bitsStored: channels === 1 ? 16 : 8, ...(rescale ? { rescale } : {}) },
  });

  test("a 16-bit film's stored value, whole", () => {
    expect(valueAt(film(Uint16Array.of(1, 65_534), 1), 1, 0)).toBe("65534");
  });
  test("with the modality value when the file rescales it", () => {
    expect(valueAt(film(Uint16Array.of(1, 1000), 1, { slope: 0.5, intercept: -100 }), 1, 0)).toBe(
      "1000 (modality 400)",
    );
  });
  test("R, G, B for a colour image; nothing off the film", () => {
    const colour = film(Uint8ClampedArray.of(1, 2, 3, 255, 9, 8, 7, 255), 4);
    expect(valueAt(colour, 1, 0)).toBe("R 9 G 8 B 7");
    expect(valueAt(colour, 2, 0)).toBe("");
  });
});

describe("each indication's size in the list", () => {
  const extent = { line: { x1: 2, y1: 2, x2: 58, y2: 28 }, widthPx: 3, method: "segmented" as const };
  const box = { x1: 0, y1: 0, x2: 60, y2: 30 };

  test("measured in mm, or the box's sides in px, said so", () => {
    expect(indicationSizeText(indicationSize(box, extent, { x: 0.1, y: 0.1 }))).toBe("L 6.17 × W 0.30 mm");
    expect(indicationSizeText(indicationSize(box, null, null))).toBe("L 60 × W 30 px (box)");
  });

  test("a reviewer's resized box loses the measurement made on the model's", () => {
    const original = { box, extent };
    const pixel = { x: 0.1, y: 0.1 };
    const kept = indicationSize(box, extentForBox(box, original), pixel);
    expect(indicationSizeText(kept)).toBe("L 6.17 × W 0.30 mm");
    const resizedBox = { ...box, x2: 80 };
    const resized = indicationSize(resizedBox, extentForBox(resizedBox, original), pixel);
    expect(indicationSizeText(resized)).toBe("L 8.00 × W 3.00 mm (box)");
    expect(indicationSizeText(indicationSize(box, extent, null))).toBe("L 62 × W 3 px");
  });
});
