import { describe, expect, test } from "bun:test";
import { readFile } from "node:fs/promises";
import { InferenceError } from "../src/errors";
import { detectInputLayout, detectOutputLayout } from "../src/model/layout";
import { readModelMetadata } from "../src/model/metadata";
import { readOnnxHeader } from "../src/model/onnx-proto";
import { createSession, type TensorInfo } from "../src/model/runtime";
import { fixtureModel } from "./fixtures";

const out = (shape: Array<number | string>, name = "output0"): TensorInfo => ({
  name,
  type: "float32",
  shape,
});
const none: { numNames: number | null; end2end: boolean | null } = { numNames: null, end2end: null };

/** The message of the `model_layout_unknown` error `detectOutputLayout` throws; fails if it does not. */
function refusal(outputs: TensorInfo[], meta: Parameters<typeof detectOutputLayout>[1] = none): string {
  try {
    detectOutputLayout(outputs, meta);
  } catch (error) {
    expect(error).toBeInstanceOf(InferenceError);
    expect((error as InferenceError).code).toBe("model_layout_unknown");
    return (error as InferenceError).message;
  }
  throw new Error("not refused");
}

describe("output layout detection", () => {
  test("Ultralytics [B, 4+nc, N], with fixed or dynamic anchors", () => {
    expect(detectOutputLayout([out([1, 84, 8400])], none)).toEqual({
      layout: "ultralytics",
      outputName: "output0",
      numClasses: 80,
    });
    expect(detectOutputLayout([out(["batch", 6, "anchors"])], { numNames: 2, end2end: null }).layout).toBe(
      "ultralytics",
    );
  });

  test("YOLOv5 [B, N, 5+nc], preferring the output named `output` over raw heads", () => {
    const outputs = [out([1, 3, 80, 80, 85], "onnx::Sigmoid_1"), out([1, 25200, 85], "output")];
    expect(detectOutputLayout(outputs, none)).toEqual({
      layout: "yolov5",
      outputName: "output",
      numClasses: 80,
    });
  });

  test("end-to-end [B, 300, 6] by shape or by metadata", () => {
    expect(detectOutputLayout([out([1, 300, 6])], none).layout).toBe("end2end");
    expect(detectOutputLayout([out(["b", 100, 6])], { numNames: 3, end2end: true }).layout).toBe("end2end");
  });

  test("class names decide between heads of ambiguous shape", () => {
    expect(detectOutputLayout([out([1, 7, 7])], { numNames: 2, end2end: null }).layout).toBe("yolov5");
    expect(detectOutputLayout([out([1, 7, 7])], { numNames: 3, end2end: null }).layout).toBe("ultralytics");
  });

  test("unknown layouts are refused with the shapes in the message", () => {
    expect(refusal([out([1, 1000])])).toContain("output0[1, 1000]");
    expect(refusal([out([1, 84, 8400])], { numNames: 3, end2end: null })).toContain("3 class names");
    expect(refusal([out([1, 300, 7])], { numNames: null, end2end: true })).toContain("end2end");
    expect(refusal([{ name: "o", type: "int64", shape: [1, 84, 8400] }])).toContain("int64");
    expect(refusal([])).toContain("no outputs");
  });
});

describe("row count against the input size", () => {
  // 416x416 at strides 8/16/32: 52² + 26² + 13² = 3549 grid cells.
  const at416 = { ...none, input: { height: 416, width: 416 } };

  test("YOLOv5 has 3 anchors per cell, Ultralytics one row per cell", () => {
    expect(detectOutputLayout([out([1, 10647, 85])], at416)).toEqual({
      layout: "yolov5",
      outputName: "output0",
      numClasses: 80,
    });
    expect(detectOutputLayout([out([1, 84, 3549])], at416)).toEqual({
      layout: "ultralytics",
      outputName: "output0",
      numClasses: 80,
    });
    // Defaults at 640 and a non-square size (80x60 + 40x30 + 20x15 cells at 640x480).
    const at640 = { ...none, input: { height: 640, width: 640 } };
    expect(detectOutputLayout([out([1, 25200, 85])], at640).layout).toBe("yolov5");
    expect(detectOutputLayout([out([1, 84, 8400])], at640).layout).toBe("ultralytics");
    expect(
      detectOutputLayout([out(["batch", 84, 6300])], { ...none, input: { height: 480, width: 640 } }).layout,
    ).toBe("ultralytics");
  });

  test("P6 (strides to 64) and P2 (from stride 4) heads are accepted too", () => {
    const at1280 = { ...none, input: { height: 1280, width: 1280 } };
    // yolov5s6 at 1280: 3 × (160² + 80² + 40² + 20²).
    expect(detectOutputLayout([out([1, 102000, 85])], at1280).layout).toBe("yolov5");
    // A P2 Ultralytics head at 640: 160² + 80² + 40² + 20².
    expect(
      detectOutputLayout([out([1, 6, 34000])], { ...none, input: { height: 640, width: 640 } }).layout,
    ).toBe("ultralytics");
  });

  test("a YOLOX-style head with one undecoded row per cell is refused, naming shape and layouts", () => {
    const message = refusal([out([1, 3549, 85])], at416);
    expect(message).toContain("output0[1, 3549, 85]");
    expect(message).toContain("YOLOX-style");
    expect(message).toContain("416x416");
    expect(message).toContain(
      "[B, 4+nc, N] (Ultralytics v8/v11, one row per grid cell, N = 3549 at strides 8/16/32",
    );
    expect(message).toContain("[B, N, 5+nc] (YOLOv5, 3 anchors per cell, N = 10647 at strides 8/16/32");
    expect(message).toContain("[B, 300, 6] (end-to-end)");
    // Also when the class names fit the row width.
    expect(refusal([out([1, 3549, 85])], { ...at416, numNames: 80 })).toContain("YOLOX-style");
  });

  test("a row count that fits no head at this input size is refused", () => {
    expect(refusal([out([1, 25200, 85])], at416)).toContain(
      "row count of [1, 25200, 85] fits no known head at 416x416",
    );
    expect(refusal([out([1, 84, 8400])], at416)).toContain("output0[1, 84, 8400]");
    expect(refusal([out([1, 6, 4])], { ...none, input: { height: 64, width: 64 } })).toContain(
      "N = 84 at strides 8/16/32",
    );
  });

  test("a dynamic row axis, or no known input size, is decided by shape alone", () => {
    expect(detectOutputLayout([out(["batch", 84, "anchors"])], at416).layout).toBe("ultralytics");
    expect(detectOutputLayout([out(["batch", "rows", 85])], at416).layout).toBe("yolov5");
    expect(detectOutputLayout([out([1, 3549, 85])], none).layout).toBe("yolov5");
    expect(detectOutputLayout([out([1, 3549, 85])], { ...none, input: null }).layout).toBe("yolov5");
  });

  test("end-to-end heads keep 300 rows whatever the input size", () => {
    expect(detectOutputLayout([out([1, 300, 6])], at416).layout).toBe("end2end");
  });

  test("the fixtures and the shipped model fit their input size", async () => {
    const models = [
      [fixtureModel("v8"), "ultralytics"],
      [fixtureModel("v8-dynamic"), "ultralytics"],
      [fixtureModel("yolov5"), "yolov5"],
      [fixtureModel("end2end"), "end2end"],
      [`${import.meta.dir}/../models/weld-defects.onnx`, "ultralytics"],
    ] as const;
    for (const [path, layout] of models) {
      const bytes = await readFile(path);
      const header = readOnnxHeader(bytes);
      const meta = readModelMetadata(header.metadata, null, header.modelVersion);
      const session = await createSession(bytes, { intraOpThreads: 1 });
      try {
        const input = detectInputLayout(session.inputs, meta.imgsz);
        const numNames = meta.names?.length ?? null;
        expect(detectOutputLayout(session.outputs, { numNames, end2end: meta.end2end, input }).layout).toBe(
          layout,
        );
      } finally {
        await session.dispose();
      }
    }
  });
});

describe("input layout detection", () => {
  const input = (shape: Array<number | string>): TensorInfo => ({ name: "images", type: "float32", shape });

  test("fixed size and batch, or dynamic axes with imgsz", () => {
    expect(detectInputLayout([input([1, 3, 640, 480])], null)).toEqual({
      inputName: "images",
      width: 480,
      height: 640,
      fixedBatch: 1,
    });
    expect(detectInputLayout([input(["batch", 3, "h", "w"])], { height: 320, width: 256 })).toMatchObject({
      width: 256,
      height: 320,
      fixedBatch: null,
    });
  });

  test("refuses dynamic spatial axes without imgsz, and non-RGB inputs", () => {
    expect(() => detectInputLayout([input([1, 3, "h", "w"])], null)).toThrow(/imgsz/);
    expect(() => detectInputLayout([input([1, 1, 64, 64])], null)).toThrow(/3 channels/);
  });
});
