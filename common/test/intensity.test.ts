import { describe, expect, test } from "bun:test";
import {
  DEFAULT_PERCENTILES,
  FULL_LEVELS,
  histogramOf,
  histogramPercentile,
  MODEL_LEVELS,
  mapToBytes,
  mapValue,
  resolveMapping,
  windowBounds,
} from "@common/imaging/intensity";

describe("the intensity mapping", () => {
  test("a file window follows DICOM's linear function (centre 2048, width 4096 → 0 … 4095)", () => {
    expect(windowBounds({ center: 2048, width: 4096 })).toEqual({ low: 0, high: 4095 });
    const mapping = resolveMapping({ bitsStored: 12, window: { center: 1000, width: 201 } }, null);
    expect(mapping.source).toBe("file");
    expect(mapValue(899.5, mapping)).toBe(0);
    expect(mapValue(1099.5, mapping)).toBe(1);
    expect(mapValue(999.5, mapping)).toBeCloseTo(0.5, 6);
    expect(mapValue(50_000, mapping)).toBe(1);
  });

  test("rescale slope and intercept apply before the window", () => {
    const mapping = resolveMapping(
      { bitsStored: 16, rescale: { slope: 2, intercept: -1000 }, window: { center: 0.5, width: 101 } },
      null,
    );
    // stored 500 → 0 modality → the window's middle.
    expect(mapValue(500, mapping)).toBeCloseTo(0.5, 6);
    expect(mapValue(475, mapping)).toBe(0);
  });

  test("8-bit data without a window is passed through unchanged", () => {
    const mapping = resolveMapping({ bitsStored: 8 }, null);
    expect(mapping.source).toBe("full_range");
    for (const v of [0, 17, 128, 255]) expect(Math.round(255 * mapValue(v, mapping))).toBe(v);
  });

  test("12-bit data in a 16-bit container gets its own percentiles, not a bit shift", () => {
    const values = Uint16Array.from({ length: 10_000 }, (_, i) => 1000 + (i % 3000));
    const { bytes, mapping } = mapToBytes(values, { bitsStored: 16 }, DEFAULT_PERCENTILES, FULL_LEVELS);
    expect(mapping.source).toBe("percentiles");
    expect(Math.min(...bytes)).toBe(0);
    expect(Math.max(...bytes)).toBe(255);
    // A shift by 8 bits would have left everything at or below 15.
    expect(bytes.filter((b) => b > 15).length).toBeGreaterThan(9000);
  });

  test("a few hot and dead pixels do not set the window", () => {
    const values = Uint16Array.from({ length: 100_000 }, (_, i) => 20_000 + (i % 1000));
    values[0] = 0;
    values[1] = 65_535;
    const mapping = resolveMapping({ bitsStored: 16 }, histogramOf(values, 65_536));
    expect(mapping.low).toBeGreaterThanOrEqual(20_000);
    expect(mapping.high).toBeLessThanOrEqual(21_000);
  });

  test("MONOCHROME1 is inverted: high stored values come out dark", () => {
    const window = { center: 128, width: 256 };
    const m2 = resolveMapping({ bitsStored: 16, window }, null);
    const m1 = resolveMapping({ bitsStored: 16, window, photometric: "MONOCHROME1" }, null);
    expect(mapValue(250, m2)).toBeGreaterThan(0.9);
    expect(mapValue(250, m1)).toBeLessThan(0.1);
  });

  test("model levels put the window's ends at the training films' brightness", () => {
    const mapping = resolveMapping(
      { bitsStored: 16, window: { center: 100.5, width: 101 } },
      null,
      undefined,
      MODEL_LEVELS,
    );
    expect(mapValue(0, mapping)).toBeCloseTo(MODEL_LEVELS.black, 6);
    expect(mapValue(65_535, mapping)).toBeCloseTo(MODEL_LEVELS.white, 6);
  });

  test("percentiles of a histogram, including an empty one and the extremes", () => {
    const histogram = histogramOf([5, 5, 6, 7, 9], 16);
    expect(histogramPercentile(histogram, 5, 0)).toBe(5);
    expect(histogramPercentile(histogram, 5, 50)).toBe(6);
    expect(histogramPercentile(histogram, 5, 100)).toBe(9);
    expect(() => resolveMapping({ bitsStored: 16 }, null)).toThrow(/histogram/);
  });
});
