/**
 * Training smoke test: a few optimiser steps on a few generated images, ONNX export, and loading the
 * export in the service's detector (onnxruntime-node); the shipped model rebuilt in torch from its
 * ONNX file against the file itself; and fine-tuning from the shipped weights on tiles of style-B
 * strips with a new class head. Needs Python with torch, onnx, numpy, PIL
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
import { compareProbe } from "./onnx-parity";

const IMGSZ = 160;
const SHIPPED = join(import.meta.dir, "..", "models", "weld-defects.onnx");
const python = process.env.PYTHON ?? "python3";
let work = "";

async function runPython(script: string, args: string[]): Promise<string> {
  const proc = Bun.spawn([python, join(import.meta.dir, "yolo", script), ...args], {
    stdout: "pipe",
    stderr: "pipe",
  });
  const [code, stdout, stderr] = await Promise.all([
    proc.exited,
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
  ]);
  if (code !== 0) throw new Error(`${script} exited ${code}\n${stdout}\n${stderr}`);
  return stdout;
}

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

test("trains a few steps, exports Ultralytics-layout ONNX, and the service loads and runs it", async () => {
  work ||= await mkdtemp(join(tmpdir(), "ndt-training-smoke-"));
  const counts = { train: 8, val: 4, test: 0 };
  await writeDataset({ out: join(work, "data"), seed: 11, counts, imgsz: IMGSZ, bitDepth: 8 });
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

test("the shipped model rebuilt in torch from its ONNX file gives the file's outputs", async () => {
  work ||= await mkdtemp(join(tmpdir(), "ndt-training-smoke-"));
  const probe = join(work, "probe");
  await runPython("from_onnx.py", ["--onnx", SHIPPED, "--probe", probe]);
  const parity = await compareProbe(SHIPPED, probe);
  expect(parity.dims).toEqual([2, 10, 2100]);
  // Box coordinates are in input pixels (0–320); float32 reordering stays far below a pixel.
  expect(parity.maxBoxDiff).toBeLessThan(0.01);
  expect(parity.maxScoreDiff).toBeLessThan(1e-4);
}, 120_000);

test("fine-tunes the shipped model on tiles of large films with a new class head, and the service runs it", async () => {
  work ||= await mkdtemp(join(tmpdir(), "ndt-training-smoke-"));
  const data = join(work, "style-b");
  await writeDataset({
    out: data,
    seed: 12,
    counts: { train: 2, val: 1, test: 0 },
    imgsz: 320,
    bitDepth: 8,
    style: "b",
  });
  const run = join(work, "run-ft");
  const stdout = await runPython("train.py", [
    ...["--data", join(data, "data.yaml"), "--out", run, "--imgsz", "320", "--base", SHIPPED],
    ...["--classes", "porosity,crack", "--freeze-backbone-epochs", "1"],
    ...["--epochs", "1", "--batch", "4", "--max-steps", "2", "--seed", "0", "--threads", "1"],
  ]);
  expect(stdout).toMatch(/loaded \d+ train \(\d+ tiles/);
  expect(stdout).toContain("new class head for 2");
  expect(stdout).toContain("exported");

  const modelPath = join(run, "best.onnx");
  const meta = readModelMetadata(readOnnxHeader(await readFile(modelPath)).metadata, null, 0);
  expect(meta.names).toEqual(["porosity", "crack"]);
  expect(meta.imgsz).toEqual({ height: 320, width: 320 });
  const detector = await loadDetector(modelPath, { intraOpThreads: 1 });
  try {
    expect(detector.info.classNames).toEqual(["porosity", "crack"]);
    const film = await readFile(join(data, "images", "val", "val-00000.png"));
    const [result] = await detector.detect([film], { conf: 0.05, iou: 0.7, maxDet: 300, classes: null });
    expect(result?.width).toBeGreaterThan(3000);
    for (const d of result?.detections ?? []) expect(["porosity", "crack"]).toContain(d.label);
  } finally {
    await detector.dispose();
  }
}, 600_000);
