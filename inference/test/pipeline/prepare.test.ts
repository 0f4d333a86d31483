import { describe, expect, test } from "bun:test";
import { DEFAULT_INTENSITY } from "../../src/image/intensity-options";
import { PAD_VALUE } from "../../src/image/raster";
import { DEFAULT_TILING_SETTINGS } from "../../src/image/tiling";
import { createPreparer } from "../../src/pipeline/prepare";
import { rectangleImage, solidImage } from "../fixtures";

const prepare = createPreparer({
  inputWidth: 64,
  inputHeight: 64,
  maxPixels: 1_000_000,
  tiling: DEFAULT_TILING_SETTINGS,
  intensity: DEFAULT_INTENSITY,
  decodeConcurrency: 1,
});
const PLANE = 64 * 64;
const PAD = Math.fround(PAD_VALUE / 255);
const TILES = { tileSize: 64, overlap: 0, wholeImage: false };

describe("prepare, untiled", () => {
  test("one letterboxed input: the image in the middle, the pad value around it", async () => {
    let admitted = 0;
    const prepared = await prepare(await solidImage(128, 64, [255, 255, 255]), { tiling: "off" }, () => {
      admitted++;
    });
    expect(prepared).toMatchObject({ width: 128, height: 64, tiled: false });
    expect(prepared.decodeMs).toBeGreaterThanOrEqual(0);
    expect(admitted).toBe(0);
    expect(prepared.inputs).toHaveLength(1);
    const [input] = prepared.inputs;
    expect(input?.placement).toMatchObject({ kind: "letterbox", lb: { scale: 0.5, padTop: 16, padLeft: 0 } });
    const tensor = input?.tensor() as Float32Array;
    expect(tensor.length).toBe(3 * PLANE);
    // Rows 0-15 and 48-63 are padding; 16-47 hold the white image, in all three planes.
    for (const plane of [0, 1, 2]) {
      expect(tensor[plane * PLANE + 15 * 64 + 10]).toBe(PAD);
      expect(tensor[plane * PLANE + 16 * 64 + 10]).toBe(1);
      expect(tensor[plane * PLANE + 47 * 64 + 63]).toBe(1);
      expect(tensor[plane * PLANE + 48 * 64]).toBe(PAD);
    }
  });
});

describe("prepare, tiled", () => {
  test("one input per tile at the plan's offsets, each holding its own window of the image", async () => {
    // Black, with the middle third white: only the second tile is white.
    const image = await rectangleImage(192, 64, { x1: 64, y1: 0, x2: 128, y2: 64 });
    const prepared = await prepare(image, { tiling: TILES }, () => {});
    expect(prepared.tiled).toBe(true);
    expect(prepared.inputs.map((i) => i.placement)).toMatchObject([
      { kind: "tile", index: 0, x: 0, y: 0 },
      { kind: "tile", index: 1, x: 64, y: 0 },
      { kind: "tile", index: 2, x: 128, y: 0 },
    ]);
    const means = prepared.inputs.map((i) => {
      const tensor = i.tensor();
      return tensor.reduce((sum, v) => sum + v, 0) / tensor.length;
    });
    expect(means).toEqual([0, 1, 0]);
  });

  test("a whole-image pass adds one letterboxed input after the tiles", async () => {
    const prepared = await prepare(
      await solidImage(192, 64, [255, 255, 255]),
      { tiling: { ...TILES, wholeImage: true } },
      () => {},
    );
    expect(prepared.inputs.map((i) => i.placement.kind)).toEqual(["tile", "tile", "tile", "letterbox"]);
  });

  test("a tiled image is admitted before it is decoded: a refusal stops it there", async () => {
    const refusal = new Error("queue full");
    const error = await prepare(await solidImage(192, 64, [0, 0, 0]), { tiling: TILES }, () => {
      throw refusal;
    }).catch((e: unknown) => e);
    expect(error).toBe(refusal);
  });
});
