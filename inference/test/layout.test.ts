import { describe, expect, test } from "bun:test";
import { InferenceError } from "../src/errors";
import { detectInputLayout, detectOutputLayout } from "../src/model/layout";
import type { TensorInfo } from "../src/model/runtime";

const out = (shape: Array<number | string>, name = "output0"): TensorInfo => ({
  name,
  type: "float32",
  shape,
});
const none: { numNames: number | null; end2end: boolean | null } = { numNames: null, end2end: null };

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
    const refuse = (outputs: TensorInfo[], meta = none) => {
      try {
        detectOutputLayout(outputs, meta);
      } catch (error) {
        expect(error).toBeInstanceOf(InferenceError);
        expect((error as InferenceError).code).toBe("model_layout_unknown");
        return (error as InferenceError).message;
      }
      throw new Error("not refused");
    };
    expect(refuse([out([1, 1000])])).toContain("output0[1, 1000]");
    expect(refuse([out([1, 84, 8400])], { numNames: 3, end2end: null })).toContain("3 class names");
    expect(refuse([out([1, 300, 7])], { numNames: null, end2end: true })).toContain("end2end");
    expect(refuse([{ name: "o", type: "int64", shape: [1, 84, 8400] }])).toContain("int64");
    expect(refuse([])).toContain("no outputs");
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
