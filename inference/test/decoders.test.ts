import { describe, expect, test } from "bun:test";
import { decodeEndToEnd } from "../src/model/decoders/end-to-end";
import { decodeUltralytics } from "../src/model/decoders/ultralytics";
import { decodeYolov5 } from "../src/model/decoders/yolov5";

const all = { conf: 0.25, classes: null };

/** Builds a [B, 4 + nc, N] tensor from per-image anchor rows [cx, cy, w, h, ...scores]. */
function ultralyticsTensor(images: number[][][]): { data: Float32Array; dims: number[] } {
  const anchors = images[0]?.length ?? 0;
  const channels = images[0]?.[0]?.length ?? 0;
  const data = new Float32Array(images.length * channels * anchors);
  images.forEach((rows, b) => {
    rows.forEach((row, i) => {
      row.forEach((value, c) => {
        data[b * channels * anchors + c * anchors + i] = value;
      });
    });
  });
  return { data, dims: [images.length, channels, anchors] };
}

function rowTensor(images: number[][][]): { data: Float32Array; dims: number[] } {
  const rows = images[0]?.length ?? 0;
  const width = images[0]?.[0]?.length ?? 0;
  return { data: Float32Array.from(images.flat(2)), dims: [images.length, rows, width] };
}

describe("Ultralytics v8/v11 decoder", () => {
  const { data, dims } = ultralyticsTensor([
    [
      [32, 32, 20, 10, 0.9, 0.1],
      [0, 0, 10, 10, 0.2, 0.6],
      [60, 60, 8, 8, 0.1, 0.2],
    ],
    [
      [10, 10, 4, 4, 0.0, 0.0],
      [64, 64, 16, 16, 0.5, 0.3],
      [5, 5, 2, 2, 0.1, 0.1],
    ],
  ]);

  test("converts cx,cy,w,h to corners and picks the best class per anchor", () => {
    expect(decodeUltralytics(data, dims, 0, all)).toEqual([
      { x1: 22, y1: 27, x2: 42, y2: 37, score: expect.closeTo(0.9, 6), classId: 0 },
      { x1: -5, y1: -5, x2: 5, y2: 5, score: expect.closeTo(0.6, 6), classId: 1 },
    ]);
  });

  test("reads the second image of a batch from its own slice, boxes at the border unclipped", () => {
    expect(decodeUltralytics(data, dims, 1, all)).toEqual([
      { x1: 56, y1: 56, x2: 72, y2: 72, score: 0.5, classId: 0 },
    ]);
  });

  test("filters by class and treats conf as exclusive", () => {
    expect(
      decodeUltralytics(data, dims, 0, { conf: 0.25, classes: new Set([1]) }).map((c) => c.classId),
    ).toEqual([1]);
    expect(decodeUltralytics(data, dims, 1, { conf: 0.5, classes: null })).toEqual([]);
  });

  test("returns nothing when no score passes", () => {
    expect(decodeUltralytics(data, dims, 0, { conf: 0.95, classes: null })).toEqual([]);
  });

  test("refuses a batch index outside the tensor and a wrong rank", () => {
    expect(() => decodeUltralytics(data, dims, 2, all)).toThrow(RangeError);
    expect(() => decodeUltralytics(data, [2, 6], 0, all)).toThrow(/rank-3/);
  });
});

describe("YOLOv5 decoder", () => {
  const { data, dims } = rowTensor([
    [
      [32, 32, 20, 10, 0.9, 0.2, 0.8],
      [0, 64, 10, 10, 0.8, 0.5, 0.1],
      [10, 10, 4, 4, 0.2, 1.0, 1.0],
    ],
    [
      [1, 1, 1, 1, 0.0, 1.0, 1.0],
      [2, 2, 1, 1, 0.1, 1.0, 1.0],
      [3, 3, 1, 1, 0.24, 1.0, 1.0],
    ],
  ]);

  test("scores rows by objectness × best class", () => {
    const found = decodeYolov5(data, dims, 0, all);
    expect(found).toEqual([
      { x1: 22, y1: 27, x2: 42, y2: 37, score: expect.closeTo(0.72, 6), classId: 1 },
      { x1: -5, y1: 59, x2: 5, y2: 69, score: expect.closeTo(0.4, 6), classId: 0 },
    ]);
  });

  test("low objectness excludes a row even with perfect class scores", () => {
    expect(decodeYolov5(data, dims, 1, all)).toEqual([]);
  });

  test("class filter applies after choosing the best class", () => {
    expect(decodeYolov5(data, dims, 0, { conf: 0.25, classes: new Set([0]) }).map((c) => c.y1)).toEqual([59]);
  });
});

describe("end-to-end decoder", () => {
  const { data, dims } = rowTensor([
    [
      [0, 0, 10, 10, 0.9, 2],
      [50, 50, 70, 70, 0.3, 0],
      [1, 1, 2, 2, 0.1, 1],
    ],
    [
      [5, 5, 6, 6, 0.0, 0],
      [5, 5, 6, 6, 0.0, 0],
      [-3, 60, 10, 80, 0.5, 1],
    ],
  ]);

  test("keeps xyxy rows above conf with their class ids", () => {
    expect(decodeEndToEnd(data, dims, 0, all)).toEqual([
      { x1: 0, y1: 0, x2: 10, y2: 10, score: expect.closeTo(0.9, 6), classId: 2 },
      { x1: 50, y1: 50, x2: 70, y2: 70, score: expect.closeTo(0.3, 6), classId: 0 },
    ]);
  });

  test("second image, box beyond the border, and class filtering", () => {
    expect(decodeEndToEnd(data, dims, 1, all)).toEqual([
      { x1: -3, y1: 60, x2: 10, y2: 80, score: 0.5, classId: 1 },
    ]);
    expect(decodeEndToEnd(data, dims, 1, { conf: 0.25, classes: new Set([0]) })).toEqual([]);
  });
});
