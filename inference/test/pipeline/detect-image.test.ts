import { describe, expect, test } from "bun:test";
import { DEFAULT_INTENSITY } from "../../src/image/intensity-options";
import { DEFAULT_TILING_SETTINGS } from "../../src/image/tiling";
import type { OutputTensor } from "../../src/model/runtime";
import { createImageDetector } from "../../src/pipeline/detect-image";
import { createPreparer } from "../../src/pipeline/prepare";
import { createModelRunner } from "../../src/pipeline/run";
import { DEFAULT_PARAMS, solidImage } from "../fixtures";

/**
 * A stand-in for a 64x64 Ultralytics model with one class: for every input it answers two boxes,
 * x 48..64 (touching the input's right border) and x 0..16, both at y 24..40.
 */
async function twoBoxModel(_tensor: Float32Array, dims: readonly number[]): Promise<OutputTensor> {
  const batch = dims[0] as number;
  const item = [56, 8, 32, 32, 16, 16, 16, 16, 0.9, 0.8];
  return {
    data: Float32Array.from({ length: batch * item.length }, (_, i) => item[i % item.length] as number),
    dims: [batch, 5, 2],
  };
}

function detector(runs: number[]) {
  const runner = createModelRunner({
    name: "two-box",
    inputWidth: 64,
    inputHeight: 64,
    fixedBatch: null,
    maxBatch: 8,
    maxWaitMs: 5,
    capacity: 64,
    run: twoBoxModel,
    onBatch: (_name, size) => runs.push(size),
  });
  const prepare = createPreparer({
    inputWidth: 64,
    inputHeight: 64,
    maxPixels: 1_000_000,
    tiling: DEFAULT_TILING_SETTINGS,
    intensity: DEFAULT_INTENSITY,
    decodeConcurrency: 1,
  });
  return createImageDetector({
    prepare,
    runner,
    layout: "ultralytics",
    classNames: ["pore"],
    inputsInFlight: 16,
    measureMaxBoxPixels: 250_000,
  });
}

describe("one image through the rooms, without a model file", () => {
  test("untiled: boxes come back through the letterbox; timings are pre- and postprocessing", async () => {
    const runs: number[] = [];
    const detect = detector(runs);
    // 128x64 → scale 0.5, 16 px of padding top and bottom.
    const result = await detect(
      await solidImage(128, 64, [255, 255, 255]),
      { ...DEFAULT_PARAMS, tiling: "off" },
      false,
    );
    expect(result.width).toBe(128);
    expect(result.detections).toEqual([
      {
        classId: 0,
        label: "pore",
        score: expect.closeTo(0.9, 5),
        box: { x1: 96, y1: 16, x2: 128, y2: 48 },
        // A blank film has nothing to measure: the box's sides stand in, and say so.
        extent: { line: { x1: 96, y1: 32, x2: 128, y2: 32 }, widthPx: 32, method: "box" },
      },
      {
        classId: 0,
        label: "pore",
        score: expect.closeTo(0.8, 5),
        box: { x1: 0, y1: 16, x2: 32, y2: 48 },
        extent: { line: { x1: 0, y1: 32, x2: 32, y2: 32 }, widthPx: 32, method: "box" },
      },
    ]);
    expect(result.batchSize).toBe(1);
    expect(runs).toEqual([1]);
    const { timings } = result;
    expect(timings.tiles).toBe(1);
    expect(timings.tilingMs).toBe(0);
    for (const value of Object.values(timings)) expect(value).toBeGreaterThanOrEqual(0);
    const stages = timings.decodeMs + timings.preprocessMs + timings.runMs + timings.postprocessMs;
    expect(stages).toBeLessThanOrEqual(timings.totalMs + 1e-6);
  });

  test("tiled: tile offsets applied, the object cut by the seam merged, the tiles sharing one run", async () => {
    const runs: number[] = [];
    const detect = detector(runs);
    const tiling = { tileSize: 64, overlap: 0, wholeImage: false };
    const result = await detect(
      await solidImage(128, 64, [255, 255, 255]),
      { ...DEFAULT_PARAMS, tiling },
      false,
    );
    // Tile 0: 0..16 and 48..64 (cut by the seam); tile 1: 64..80 (cut by it) and 112..128.
    expect(
      result.detections.map((d) => [d.box.x1, d.box.x2]).sort((a, b) => (a[0] as number) - (b[0] as number)),
    ).toEqual([
      [0, 16],
      [48, 80],
      [112, 128],
    ]);
    expect(runs).toEqual([2]);
    expect(result.batchSize).toBe(2);
    const { timings } = result;
    expect(timings.tiles).toBe(2);
    expect(timings.preprocessMs).toBe(0);
    expect(timings.postprocessMs).toBe(0);
    expect(timings.tilingMs).toBeGreaterThan(0);
    expect(timings.runMs).toBeLessThanOrEqual(timings.totalMs);
  });
});
