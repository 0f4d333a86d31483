import { describe, expect, test } from "bun:test";
import { readFile } from "node:fs/promises";
import { OnnxFormatError, readOnnxHeader, readOnnxModel } from "@common/onnx/onnx-proto";

const fixture = (name: string) => readFile(`inference/test/fixtures/models/${name}.onnx`);

/** The bytes as a stream of `size`-byte chunks, so every field straddles chunk boundaries somewhere. */
function chunked(bytes: Uint8Array, size: number): ReadableStream<Uint8Array> {
  let at = 0;
  return new ReadableStream({
    pull(controller) {
      if (at >= bytes.length) return controller.close();
      controller.enqueue(bytes.slice(at, at + size));
      at += size;
    },
  });
}

describe("readOnnxModel (streamed)", () => {
  test("reads the same header as the in-memory reader, plus the graph's inputs and outputs", async () => {
    const bytes = await fixture("v8-dynamic");
    for (const size of [1, 7, 4096]) {
      const model = await readOnnxModel(chunked(bytes, size));
      expect({ modelVersion: model.modelVersion, metadata: model.metadata }).toEqual(readOnnxHeader(bytes));
      expect(model.inputs).toEqual([{ name: "images", type: "float32", shape: ["batch", 3, 64, 64] }]);
      expect(model.outputs).toEqual([{ name: "output0", type: "float32", shape: ["batch", 6, 84] }]);
    }
  });

  test("lists every output, extra heads included", async () => {
    const model = await readOnnxModel(chunked(await fixture("yolov5"), 64));
    expect(model.outputs.map((o) => [o.name, o.shape])).toEqual([
      ["raw_head", [1, 3, 8, 8, 7]],
      ["output", [1, 252, 7]],
    ]);
  });

  test("a truncated file, or bytes that are no model, are refused", async () => {
    const bytes = await fixture("end2end");
    await expect(readOnnxModel(chunked(bytes.subarray(0, bytes.length - 9), 100))).rejects.toThrow(
      OnnxFormatError,
    );
    await expect(readOnnxModel(chunked(new TextEncoder().encode("not a model at all"), 8))).rejects.toThrow(
      OnnxFormatError,
    );
    await expect(readOnnxModel(chunked(new Uint8Array(0), 8))).rejects.toThrow(/no graph/);
  });
});
