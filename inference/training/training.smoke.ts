/**
 * Training smoke test: a few optimiser steps on a few generated images, ONNX export, and loading the
 * export in the service's detector (onnxruntime-node). Needs Python with torch, onnx, numpy, PIL
 * and yaml (Debian: python3-torch python3-onnx python3-pil python3-yaml), so it is kept out of the
 * main `bun test` run (the name does not match *.test.ts):
 *
 *   npm run test:training        (PYTHON=/path/to/python3 to choose the interpreter)
 */

import { afterAll, expect, test } from "bun:test";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEFECT_CLASSES } from "@generator/classes";
import { writeDataset } from "@generator/dataset";
import { loadDetector } from "../src/model/detector";
import { readModelMetadata } from "../src/model/metadata";
import { readOnnxHeader } from "../src/model/onnx-proto";

const IMGSZ = 160;
let work = "";

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

test("trains a few steps, exports Ultralytics-layout ONNX, and the service loads and runs it", async () => {
  work = await mkdtemp(join(tmpdir(), "ndt-training-smoke-"));
  const counts = { train: 8, val: 4, test: 0 };
  await writeDataset({ out: join(work, "data"), seed: 11, counts, imgsz: IMGSZ, bitDepth: 8 });
  const python = process.env.PYTHON ?? "python3";
  const script = join(import.meta.dir, "yolo", "train.py");
  const run = join(work, "run");
  const proc = Bun.spawn(
    [
      python,
      script,
      "--data",
      join(work, "data", "data.yaml"),
      "--out",
      run,
      "--imgsz",
      String(IMGSZ),
    ].concat(["--epochs", "1", "--batch", "4", "--max-steps", "3", "--crop", "0", "--seed", "0"]),
    { stdout: "pipe", stderr: "pipe" },
  );
  const [code, stdout, stderr] = await Promise.all([
    proc.exited,
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
  ]);
  if (code !== 0) throw new Error(`train.py exited ${code}\n${stdout}\n${stderr}`);
  expect(stdout).toContain("exported");

  const modelPath = join(run, "best.onnx");
  const meta = readModelMetadata(readOnnxHeader(await readFile(modelPath)).metadata, null, 0);
  expect(meta.names).toEqual([...DEFECT_CLASSES]);
  expect(meta.imgsz).toEqual({ height: IMGSZ, width: IMGSZ });
  expect(meta.task).toBe("detect");
  expect(meta.stride).toBe(32);

  const detector = await loadDetector(modelPath, { intraOpThreads: 1 });
  try {
    expect(detector.info.layout).toBe("ultralytics");
    expect(detector.info.dynamicBatch).toBe(true);
    expect(detector.info.classNames).toEqual([...DEFECT_CLASSES]);
    const image = await readFile(join(work, "data", "images", "val", "val-00000.png"));
    const [result] = await detector.detect([image, image], {
      conf: 0.001,
      iou: 0.7,
      maxDet: 50,
      classes: null,
    });
    expect(result?.width).toBeGreaterThan(0);
    for (const d of result?.detections ?? []) {
      expect(d.box.x2).toBeGreaterThanOrEqual(d.box.x1);
      expect(DEFECT_CLASSES).toContain(d.label as (typeof DEFECT_CLASSES)[number]);
    }
  } finally {
    await detector.dispose();
  }
}, 600_000);
