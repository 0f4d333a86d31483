/** The default model in inference/models: its card, its metadata, and that it finds generated defects. */

import { describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { DEFECT_CLASSES } from "@generator/classes";
import { encodePng } from "@generator/png";
import { deriveSeed } from "@generator/prng";
import { renderSample } from "@generator/sample";
import { loadDetector } from "@inference/model/detector";
import { readModelMetadata } from "@inference/model/metadata";
import { readOnnxHeader } from "@inference/model/onnx-proto";
import { iou } from "@inference/postprocess/boxes";
import { repoRoot } from "@scripts/local-stack/settings";

const MODELS = join(repoRoot, "inference", "models");
const MODEL = join(MODELS, "weld-defects.onnx");
const MAX_MODEL_BYTES = 10 * 1024 * 1024;

describe("shipped model", () => {
  test("its sha256 and size match the model card", async () => {
    const bytes = await readFile(MODEL);
    const card = await readFile(join(MODELS, "MODEL_CARD.md"), "utf8");
    const sha = createHash("sha256").update(bytes).digest("hex");
    expect(card.match(/sha256[^0-9a-f]*([0-9a-f]{64})/)?.[1]).toBe(sha);
    expect(bytes.length).toBeLessThanOrEqual(MAX_MODEL_BYTES);
  });

  test("carries Ultralytics-style metadata that the service parses", async () => {
    const header = readOnnxHeader(await readFile(MODEL));
    const meta = readModelMetadata(header.metadata, null, header.modelVersion);
    expect(meta.names).toEqual([...DEFECT_CLASSES]);
    expect(meta.imgsz).toEqual({ height: 320, width: 320 });
    expect(meta.stride).toBe(32);
    expect(meta.task).toBe("detect");
    expect(meta.end2end).toBe(false);
    for (const key of ["description", "version", "date", "author", "license"]) {
      expect(header.metadata[key]?.length ?? 0).toBeGreaterThan(0);
    }
    expect(header.metadata.names).toStartWith("{0: 'porosity', 1: 'crack'");
  });

  test("finds most defects on freshly generated films (IoU ≥ 0.5, default threshold)", async () => {
    const detector = await loadDetector(MODEL, { intraOpThreads: 2 });
    try {
      expect(detector.info.layout).toBe("ultralytics");
      expect(detector.info.dynamicBatch).toBe(true);
      const samples = Array.from({ length: 24 }, (_, i) =>
        renderSample(deriveSeed(2024, "shipped", i), { imgsz: 320 }),
      );
      const images = await Promise.all(samples.map((s) => encodePng(s.image, 8)));
      const results = await detector.detect(images, { conf: 0.25, iou: 0.45, maxDet: 300, classes: null });
      let labelled = 0;
      let found = 0;
      samples.forEach((s, k) => {
        for (const label of s.labels) {
          labelled++;
          const hit = results[k]?.detections.some(
            (d) => d.classId === label.classId && iou(d.box, label.box) >= 0.5,
          );
          if (hit) found++;
        }
      });
      expect(labelled).toBeGreaterThan(5);
      expect(found / labelled).toBeGreaterThan(0.5);
    } finally {
      await detector.dispose();
    }
  }, 60_000);
});
