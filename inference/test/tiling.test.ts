import { afterAll, describe, expect, test } from "bun:test";
import { DetectParamsSchema } from "@common/contracts/detect-message";
import { TilingSchema } from "@common/contracts/tiling";
import sharp from "sharp";
import { InferenceError } from "../src/errors";
import { PAD_VALUE } from "../src/image/raster";
import { axisOrigins, DEFAULT_TILING_SETTINGS, fillTileTensor, planTiling } from "../src/image/tiling";
import { type Detector, loadDetector } from "../src/model/detector";
import { DEFAULT_TILE_MERGE, mergeTiles, type TiledCandidate } from "../src/postprocess/tile-merge";
import { DEFAULT_PARAMS, fixtureModel, solidImage } from "./fixtures";

const NO_CUT = { left: false, top: false, right: false, bottom: false };
const candidate = (
  box: [number, number, number, number],
  extra: Partial<TiledCandidate> = {},
): TiledCandidate => ({
  x1: box[0],
  y1: box[1],
  x2: box[2],
  y2: box[3],
  score: 0.9,
  classId: 0,
  tile: 0,
  cut: NO_CUT,
  ...extra,
});
const MERGE = { ...DEFAULT_TILE_MERGE, iou: 0.45, agnostic: false };

describe("the tiling parameter (shared contract)", () => {
  test("absent, auto, off and an explicit tiling parse; defaults fill overlap and wholeImage", () => {
    expect(DetectParamsSchema.parse(DEFAULT_PARAMS).tiling).toBeUndefined();
    expect(TilingSchema.parse("off")).toBe("off");
    expect(TilingSchema.parse({ tileSize: 640 })).toEqual({ tileSize: 640, overlap: 0.2, wholeImage: false });
  });

  test("refuses tiles below 32 px, overlaps above 0.5 and unknown modes", () => {
    expect(TilingSchema.safeParse({ tileSize: 16 }).success).toBe(false);
    expect(TilingSchema.safeParse({ tileSize: 320, overlap: 0.6 }).success).toBe(false);
    expect(TilingSchema.safeParse("always").success).toBe(false);
  });
});

describe("planTiling", () => {
  test("window origins cover the axis, share at least the overlap and end flush with the edge", () => {
    const origins = axisOrigins(1000, 320, 0.2);
    expect(origins).toEqual([0, 256, 512, 680]);
    for (let i = 1; i < origins.length; i++) {
      expect((origins[i - 1] as number) + 320 - (origins[i] as number)).toBeGreaterThanOrEqual(64);
    }
    expect(axisOrigins(200, 320, 0.2)).toEqual([0]);
  });

  test("auto leaves an ordinary film whole and tiles a long strip at the model's resolution, plus a whole-image pass", () => {
    expect(planTiling(1280, 640, 320, 320, undefined)).toBeNull();
    const plan = planTiling(6000, 800, 320, 320, "auto");
    expect(plan).not.toBeNull();
    expect(plan?.scaleX).toBe(1);
    expect(plan?.tiles.length).toBe(axisOrigins(6000, 320, 0.2).length * axisOrigins(800, 320, 0.2).length);
    expect(plan?.wholeImage).toBe(true);
    const tilesOnly = planTiling(6000, 800, 320, 320, "auto", {
      ...DEFAULT_TILING_SETTINGS,
      autoWholeImage: false,
    });
    expect(tilesOnly?.wholeImage).toBe(false);
  });

  test("off never tiles; an explicit size scales each tile to the model input", () => {
    expect(planTiling(6000, 800, 320, 320, "off")).toBeNull();
    const plan = planTiling(6000, 800, 320, 320, { tileSize: 640, overlap: 0.25, wholeImage: true });
    expect(plan?.scaledWidth).toBe(3000);
    expect(plan?.scaledHeight).toBe(400);
    expect(plan?.wholeImage).toBe(true);
    expect(plan?.tiles.every((t) => t.x + 320 <= 3000 && t.y + 320 <= 400)).toBe(true);
  });

  test("auto grows its tiles to stay within maxTiles; an explicit size over it is refused", () => {
    const settings = { ...DEFAULT_TILING_SETTINGS, maxTiles: 10 };
    const plan = planTiling(6000, 800, 320, 320, "auto", settings);
    expect(plan?.tiles.length).toBeLessThanOrEqual(10);
    expect(plan?.tileSize).toBeGreaterThan(320);
    let error: unknown;
    try {
      planTiling(6000, 800, 320, 320, { tileSize: 320, overlap: 0.2, wholeImage: false }, settings);
    } catch (thrown) {
      error = thrown;
    }
    expect(error).toBeInstanceOf(InferenceError);
    expect((error as InferenceError).code).toBe("validation_failed");
  });
});

describe("fillTileTensor", () => {
  test("copies the window into all three planes and pads past the raster's edge", () => {
    const raster = {
      data: Uint8Array.from({ length: 12 }, (_, i) => i * 10),
      width: 4,
      height: 3,
      channels: 1 as const,
    };
    const out = new Float32Array(3 * 4);
    fillTileTensor(raster, 2, 1, 2, 2, out);
    const expected = [60, 70, 100, 110].map((v) => v / 255);
    for (let c = 0; c < 3; c++) {
      expected.forEach((v, i) => {
        expect(out[c * 4 + i]).toBeCloseTo(v, 6);
      });
    }
    const padded = new Float32Array(3 * 4);
    fillTileTensor(raster, 3, 2, 2, 2, padded);
    expect(padded[0]).toBeCloseTo(110 / 255, 6);
    expect(padded[1]).toBeCloseTo(PAD_VALUE / 255, 6);
    expect(padded[3]).toBeCloseTo(PAD_VALUE / 255, 6);
  });
});

describe("mergeTiles", () => {
  test("an object cut by a tile border comes back as one box spanning both pieces", () => {
    const merged = mergeTiles(
      [
        candidate([200, 100, 320, 110], { tile: 0, cut: { ...NO_CUT, right: true } }),
        candidate([256, 101, 420, 111], { tile: 1, score: 0.8, cut: { ...NO_CUT, left: true } }),
      ],
      MERGE,
    );
    expect(merged).toHaveLength(1);
    expect(merged[0]).toMatchObject({ x1: 200, y1: 100, x2: 420, y2: 111, score: 0.9 });
  });

  test("a piece cut three ways joins up whatever order the pieces scored in", () => {
    const merged = mergeTiles(
      [
        candidate([0, 10, 320, 20], { tile: 0, score: 0.5, cut: { ...NO_CUT, right: true } }),
        candidate([512, 10, 700, 20], { tile: 2, score: 0.9, cut: { ...NO_CUT, left: true } }),
        candidate([256, 10, 576, 20], { tile: 1, score: 0.4, cut: { ...NO_CUT, left: true, right: true } }),
      ],
      MERGE,
    );
    expect(merged).toHaveLength(1);
    expect(merged[0]).toMatchObject({ x1: 0, x2: 700, score: 0.9 });
  });

  test("the same object seen whole in two overlapping tiles is one box, the best one", () => {
    const merged = mergeTiles(
      [candidate([270, 40, 290, 60], { tile: 0 }), candidate([271, 41, 291, 61], { tile: 1, score: 0.7 })],
      MERGE,
    );
    expect(merged).toEqual([candidate([270, 40, 290, 60], { tile: 0 })]);
  });

  test("neighbouring objects of one tile, other classes and far boxes stay apart", () => {
    const merged = mergeTiles(
      [
        candidate([100, 100, 110, 110], { tile: 0 }),
        candidate([108, 100, 118, 110], { tile: 0, score: 0.8 }),
        candidate([256, 100, 300, 110], { tile: 1, classId: 1, cut: { ...NO_CUT, left: true } }),
        candidate([200, 100, 320, 110], { tile: 0, score: 0.6, cut: { ...NO_CUT, right: true } }),
        candidate([600, 300, 610, 310], { tile: 2 }),
      ],
      MERGE,
    );
    expect(merged).toHaveLength(5);
  });

  test("boxes cut at a border but not lined up across it are two objects", () => {
    const merged = mergeTiles(
      [
        candidate([300, 100, 320, 110], { tile: 0, cut: { ...NO_CUT, right: true } }),
        candidate([256, 150, 280, 160], { tile: 1, cut: { ...NO_CUT, left: true } }),
      ],
      MERGE,
    );
    expect(merged).toHaveLength(2);
  });
});

describe("tiled detection (fixture model, real onnxruntime)", () => {
  let detector: Detector;
  afterAll(async () => {
    await detector?.dispose();
  });

  test("each tile's boxes map back by the tile's offset; timings count the tiles", async () => {
    // The fixture model answers the same boxes for any 64x64 input (see make-fixtures.py).
    detector = await loadDetector(fixtureModel("v8-dynamic"), { intraOpThreads: 1 });
    const image = await solidImage(192, 64, [255, 255, 255]);
    const [tiled] = await detector.detect([image], {
      ...DEFAULT_PARAMS,
      tiling: { tileSize: 64, overlap: 0, wholeImage: false },
    });
    const porosity = tiled?.detections.filter((d) => d.classId === 0 && d.box.y1 === 27).map((d) => d.box.x1);
    expect(porosity?.sort((a, b) => a - b)).toEqual([22, 86, 150]);
    expect(tiled?.timings.tiles).toBe(3);
    expect(tiled?.timings.tilingMs).toBeGreaterThan(0);

    const [whole] = await detector.detect([image], { ...DEFAULT_PARAMS, tiling: "off" });
    expect(whole?.timings.tiles).toBe(1);
    expect(whole?.timings.tilingMs).toBe(0);
    expect(whole?.detections.length).toBeLessThan(tiled?.detections.length ?? 0);
  });

  test("a whole-image pass adds one input, for colour and greyscale images alike", async () => {
    const grey = await sharp({ create: { width: 192, height: 64, channels: 3, background: "#808080" } })
      .toColourspace("b-w")
      .png()
      .toBuffer();
    for (const image of [await solidImage(192, 64, [255, 255, 255]), grey]) {
      const [result] = await detector.detect([image], {
        ...DEFAULT_PARAMS,
        tiling: { tileSize: 64, overlap: 0, wholeImage: true },
      });
      expect(result?.timings.tiles).toBe(4);
      // The whole-image pass sees the fixture's top-left box, clipped at the image corner.
      expect(result?.detections.some((d) => d.classId === 1 && d.box.x1 === 0 && d.box.y1 === 0)).toBe(true);
    }
  });

  test("admission is per image: a film with more tiles than the queue holds runs; a full queue refuses it", async () => {
    // Batches wait 300 ms for company, so queued inputs stay queued while the test looks.
    const small = await loadDetector(fixtureModel("v8-dynamic"), {
      intraOpThreads: 1,
      queueCapacity: 2,
      maxBatch: 8,
      maxWaitMs: 300,
    });
    try {
      const image = await solidImage(256, 64, [255, 255, 255]);
      const tiling = { tileSize: 64, overlap: 0, wholeImage: false };
      const [alone] = await small.detect([image], { ...DEFAULT_PARAMS, tiling });
      expect(alone?.timings.tiles).toBe(4);
      // Two untiled images fill the queue; a tiled one arriving meanwhile is refused whole.
      const untiled = small.detect([image, image], { ...DEFAULT_PARAMS, tiling: "off" });
      while (small.load < 2) await Bun.sleep(1);
      const refused = await small.detect([image], { ...DEFAULT_PARAMS, tiling }).catch((e: unknown) => e);
      expect((refused as InferenceError).code).toBe("queue_full");
      expect(await untiled).toHaveLength(2);
    } finally {
      await small.dispose();
    }
  });

  test("an explicit tiling over the tile limit fails the image with validation_failed", async () => {
    const strict = await loadDetector(fixtureModel("v8-dynamic"), {
      intraOpThreads: 1,
      tiling: { maxTiles: 2 },
    });
    try {
      const image = await solidImage(192, 64, [255, 255, 255]);
      const error = await strict
        .detect([image], { ...DEFAULT_PARAMS, tiling: { tileSize: 64, overlap: 0, wholeImage: false } })
        .catch((e: unknown) => e);
      expect((error as InferenceError).code).toBe("validation_failed");
    } finally {
      await strict.dispose();
    }
  });
});
