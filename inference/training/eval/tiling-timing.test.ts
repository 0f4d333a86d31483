import { describe, expect, test } from "bun:test";
import { quantile, timingAgainstBaseline } from "./tiling-timing";

describe("time against the tiling baseline", () => {
  test("each image's total over inputs × one batched run + decode; median and p10–p90", () => {
    const films = [
      { tiles: 10, decodeMs: 20, tilingMs: 5, runMs: 100, totalMs: 120, perInputMs: 10 }, // 1.0
      { tiles: 10, decodeMs: 20, tilingMs: 5, runMs: 100, totalMs: 156, perInputMs: 10 }, // 1.3
      { tiles: 20, decodeMs: 0, tilingMs: 5, runMs: 100, totalMs: 400, perInputMs: 10 }, // 2.0
    ];
    const t = timingAgainstBaseline(films);
    expect(t.ratioMedian).toBeCloseTo(1.3, 9);
    expect(t.ratioP10).toBeCloseTo(1.06, 9);
    expect(t.ratioP90).toBeCloseTo(1.86, 9);
    expect(t.tilesMedian).toBe(10);
    expect(t.perInputMs).toBe(10);
  });

  test("quantiles interpolate between neighbours; an empty list has none", () => {
    expect(quantile([4, 1, 3, 2], 0.5)).toBe(2.5);
    expect(quantile([], 0.5)).toBeNaN();
  });
});
