import { afterAll, describe, expect, test } from "bun:test";
import type { Detection } from "@common/contracts/detect-result";
import { InferenceError } from "../src/errors";
import { type Detector, loadDetector } from "../src/model/detector";
import { DEFAULT_PARAMS, fixtureModel, solidImage } from "./fixtures";

// Fixture boxes (64x64 input pixels, see make-fixtures.py): box 0 at [22,27,42,37], box 1 a near
// duplicate of it, box 2 at [-4,-4,8,8] (crosses the top-left border), box 3 at [52,52,64,64].

const loaded: Detector[] = [];
async function load(name: Parameters<typeof fixtureModel>[0], options = {}) {
  const detector = await loadDetector(fixtureModel(name), { intraOpThreads: 1, ...options });
  loaded.push(detector);
  return detector;
}
afterAll(async () => {
  await Promise.all(loaded.map((d) => d.dispose()));
});

describe("loadDetector (real onnxruntime under Bun)", () => {
  test("describes an Ultralytics export from its metadata", async () => {
    const { info } = await load("v8-dynamic");
    expect(info).toMatchObject({
      name: "v8-dynamic",
      version: "fixture-1",
      classNames: ["porosity", "crack"],
      inputWidth: 64,
      inputHeight: 64,
      layout: "ultralytics",
      dynamicBatch: true,
      maxBatch: 8,
      task: "detect",
      stride: 32,
    });
    expect(info.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  test("falls back to class_<i> names and a sha-derived version without metadata", async () => {
    const { info } = await load("v8");
    expect(info.classNames).toEqual(["class_0", "class_1"]);
    expect(info.version).toBe(info.sha256.slice(0, 12));
    expect(info.dynamicBatch).toBe(false);
    expect(info.maxBatch).toBe(1);
  });

  test("reads names from the sidecar JSON and picks the output named `output`", async () => {
    const { info } = await load("yolov5");
    expect(info.layout).toBe("yolov5");
    expect(info.classNames).toEqual(["slag", "undercut"]);
  });

  test("refuses a model whose outputs match no detection layout, naming the shapes", async () => {
    const error = await loadDetector(fixtureModel("classifier")).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InferenceError);
    expect((error as InferenceError).code).toBe("model_layout_unknown");
    expect((error as InferenceError).message).toContain('task "classify"');
  });

  test("refuses a file that is not ONNX", async () => {
    const path = `${import.meta.dir}/fixtures/models/yolov5.json`;
    const error = await loadDetector(path).catch((e: unknown) => e);
    expect((error as InferenceError).code).toBe("model_load_failed");
  });
});

/** A detection's model output: what these tests check (`test/measure` covers the extent). */
const withoutExtent = ({ extent: _extent, ...detection }: Detection) => detection;

describe("detect", () => {
  test("Ultralytics: NMS drops the near duplicate, boxes map back to original pixels", async () => {
    const detector = await load("v8-dynamic");
    const [result] = await detector.detect([await solidImage(128, 128, [255, 255, 255])], DEFAULT_PARAMS);
    expect(result?.width).toBe(128);
    // A blank film: every detection's extent is its box's, flagged as not measured.
    expect(result?.detections.every((d) => d.extent?.method === "box")).toBe(true);
    expect(result?.detections.map(withoutExtent)).toEqual([
      { classId: 0, label: "porosity", score: expect.closeTo(1, 5), box: { x1: 44, y1: 54, x2: 84, y2: 74 } },
      {
        classId: 0,
        label: "porosity",
        score: expect.closeTo(0.8, 5),
        box: { x1: 104, y1: 104, x2: 128, y2: 128 },
      },
      { classId: 1, label: "crack", score: expect.closeTo(0.7, 5), box: { x1: 0, y1: 0, x2: 16, y2: 16 } },
    ]);
    expect(result?.timings.runMs).toBeGreaterThan(0);
    expect(result?.timings.totalMs).toBeGreaterThanOrEqual(result?.timings.runMs ?? 0);
  });

  test("letterbox padding: boxes that land in the padding are dropped, the rest is unpadded", async () => {
    const detector = await load("v8-dynamic");
    // 256x128 → scale 0.25, 64x32 inside 16 px of padding top and bottom.
    const [result] = await detector.detect([await solidImage(256, 128, [255, 255, 255])], DEFAULT_PARAMS);
    expect(result?.detections.map((d) => d.box)).toEqual([{ x1: 88, y1: 44, x2: 168, y2: 84 }]);
  });

  test("params: class filter, conf, maxDet and agnostic NMS", async () => {
    const detector = await load("v8-dynamic");
    const image = await solidImage(64, 64, [255, 255, 255]);
    const crackOnly = await detector.detect([image], { ...DEFAULT_PARAMS, classes: [1] });
    expect(crackOnly[0]?.detections.map((d) => d.label)).toEqual(["crack"]);
    const strict = await detector.detect([image], { ...DEFAULT_PARAMS, conf: 0.85 });
    expect(strict[0]?.detections).toHaveLength(1);
    const one = await detector.detect([image], { ...DEFAULT_PARAMS, maxDet: 1 });
    expect(one[0]?.detections).toHaveLength(1);
    const loose = await detector.detect([image], { ...DEFAULT_PARAMS, iou: 0.95 });
    expect(loose[0]?.detections).toHaveLength(4);
  });

  test("a batch keeps each image's results apart", async () => {
    const detector = await load("v8-dynamic", { maxWaitMs: 50 });
    const results = await detector.detect(
      [
        await solidImage(64, 64, [255, 0, 0]),
        await solidImage(64, 64, [0, 0, 0]),
        await solidImage(64, 64, [0, 255, 0]),
      ],
      DEFAULT_PARAMS,
    );
    expect(results.map((r) => r.batchSize)).toEqual([3, 3, 3]);
    expect(results.map((r) => r.detections.map((d) => d.label))).toEqual([
      ["porosity", "porosity"],
      [],
      ["crack"],
    ]);
  });

  test("YOLOv5 with a static batch axis: objectness × class, sidecar labels", async () => {
    const detector = await load("yolov5");
    const results = await detector.detect(
      [await solidImage(64, 64, [255, 255, 255]), await solidImage(64, 64, [255, 255, 255])],
      DEFAULT_PARAMS,
    );
    expect(results.map((r) => r.batchSize)).toEqual([1, 1]);
    expect(results[0]?.detections.map((d) => [d.label, Number(d.score.toFixed(3))])).toEqual([
      ["slag", 1],
      ["undercut", 0.63],
      ["slag", 0.4],
    ]);
  });

  test("end-to-end: no NMS, xyxy rows kept as the model ranked them", async () => {
    const detector = await load("end2end");
    const [result] = await detector.detect([await solidImage(64, 64, [255, 255, 255])], DEFAULT_PARAMS);
    expect(result?.detections.map(withoutExtent)).toEqual([
      { classId: 0, label: "porosity", score: 1, box: { x1: 22, y1: 27, x2: 42, y2: 37 } },
      {
        classId: 0,
        label: "porosity",
        score: expect.closeTo(0.8, 5),
        box: { x1: 52, y1: 52, x2: 64, y2: 64 },
      },
      { classId: 1, label: "crack", score: expect.closeTo(0.7, 5), box: { x1: 0, y1: 0, x2: 8, y2: 8 } },
      { classId: 1, label: "crack", score: expect.closeTo(0.3, 5), box: { x1: 10, y1: 10, x2: 20, y2: 20 } },
    ]);
  });

  test("undecodable bytes are a permanent image error", async () => {
    const detector = await load("v8");
    const error = await detector
      .detect([new TextEncoder().encode("not an image")], DEFAULT_PARAMS)
      .catch((e) => e);
    expect(error).toBeInstanceOf(InferenceError);
    expect((error as InferenceError).code).toBe("image_corrupt");
    expect((error as InferenceError).permanent).toBe(true);
  });
});
