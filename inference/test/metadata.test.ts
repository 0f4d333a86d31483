import { describe, expect, test } from "bun:test";
import { readFile } from "node:fs/promises";
import { InferenceError } from "../src/errors";
import { parseImgsz, parseNames, readModelMetadata } from "../src/model/metadata";
import { readOnnxHeader } from "../src/model/onnx-proto";
import { fixtureModel } from "./fixtures";

describe("Ultralytics names", () => {
  test("parses a Python dict repr, including quotes inside names", () => {
    expect(parseNames("{0: 'porosity', 1: 'crack'}")).toEqual(["porosity", "crack"]);
    expect(parseNames(`{0: "lack of fusion", 1: 'it\\'s', 2: "a, b: c"}`)).toEqual([
      "lack of fusion",
      "it's",
      "a, b: c",
    ]);
  });

  test("fills gaps in sparse ids and accepts list reprs", () => {
    expect(parseNames("{0: 'a', 2: 'c'}")).toEqual(["a", "class_1", "c"]);
    expect(parseNames("['a', 'b']")).toEqual(["a", "b"]);
  });

  test("returns null for text that is neither", () => {
    expect(parseNames("porosity,crack")).toBeNull();
    expect(parseNames("{}")).toBeNull();
  });
});

test("imgsz as [h, w], a single size, or invalid", () => {
  expect(parseImgsz("[640, 480]")).toEqual({ height: 640, width: 480 });
  expect(parseImgsz("320")).toEqual({ height: 320, width: 320 });
  expect(parseImgsz("[1, 2, 3]")).toBeNull();
  expect(parseImgsz(undefined)).toBeNull();
});

describe("readModelMetadata", () => {
  test("model metadata wins over the sidecar; sidecar fills what is missing", () => {
    const meta = readModelMetadata(
      { names: "{0: 'a'}", end2end: "True", stride: "32" },
      { names: ["x", "y"], version: "7" },
      0,
    );
    expect(meta).toEqual({ names: ["a"], imgsz: null, stride: 32, task: null, end2end: true, version: "7" });
    expect(readModelMetadata({}, { names: { "1": "b", "0": "a" } }, 3)).toMatchObject({
      names: ["a", "b"],
      version: "3",
    });
    expect(readModelMetadata({}, null, 0)).toMatchObject({ names: null, version: null, end2end: null });
  });
});

describe("ONNX header reader", () => {
  test("reads metadata_props of a real export", async () => {
    const header = readOnnxHeader(await readFile(fixtureModel("v8-dynamic")));
    expect(header.metadata).toMatchObject({
      names: "{0: 'porosity', 1: 'crack'}",
      imgsz: "[64, 64]",
      task: "detect",
      model_version: "fixture-1",
    });
  });

  test("a model without metadata gives an empty record", async () => {
    expect(readOnnxHeader(await readFile(fixtureModel("v8"))).metadata).toEqual({});
  });

  test("truncated bytes are refused as an invalid model", async () => {
    const bytes = await readFile(fixtureModel("v8-dynamic"));
    expect(() => readOnnxHeader(bytes.subarray(0, bytes.length - 7))).toThrow(InferenceError);
  });
});
