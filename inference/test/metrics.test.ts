import { afterAll, describe, expect, test } from "bun:test";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../src/config";
import { silentLogger } from "../src/log";
import { Metrics } from "../src/metrics";
import { createService } from "../src/service";
import { FIXTURE_MODELS_DIR } from "./fixtures";

// The model-load gauges are what the "model load failures" and "no model" alerts read
// (deploy/prometheus/alerts.yml), so their names, labels and values are checked here.

const emptyDir = await mkdtemp(join(tmpdir(), "inference-no-models-"));
afterAll(() => rm(emptyDir, { recursive: true, force: true }));

async function serviceMetrics(modelsDir: string): Promise<string> {
  const config = loadConfig({ INFERENCE_MODELS_DIR: modelsDir, INFERENCE_INTRA_OP_THREADS: "1" });
  const service = await createService(config, silentLogger, {
    metrics: new Metrics({ defaultMetrics: false }),
  });
  try {
    return await service.metrics.registry.metrics();
  } finally {
    await service.close();
  }
}

describe("model load metrics", () => {
  test("a folder with a refused model reports the loaded count and the failed file with its code", async () => {
    const text = await serviceMetrics(FIXTURE_MODELS_DIR);
    expect(text).toContain("inference_models_loaded 4");
    expect(text).toContain(
      'inference_model_load_failures{file="classifier.onnx",code="model_layout_unknown"} 1',
    );
    expect(text.match(/^inference_model_load_failures\{/gm)).toHaveLength(1);
  });

  test("a folder without models reports none loaded and no failure", async () => {
    const text = await serviceMetrics(emptyDir);
    expect(text).toContain("inference_models_loaded 0");
    expect(text).not.toMatch(/^inference_model_load_failures\{/m);
  });

  test("recording again replaces the previous outcome instead of adding to it", async () => {
    const metrics = new Metrics({ defaultMetrics: false });
    metrics.recordModelLoad(1, [
      { file: "a.onnx", code: "model_load_failed", message: "broken" },
      { file: "b.onnx", code: "model_layout_unknown", message: "unknown layout" },
    ]);
    metrics.recordModelLoad(2, [{ file: "b.onnx", code: "model_layout_unknown", message: "unknown layout" }]);
    const text = await metrics.registry.metrics();
    expect(text).toContain("inference_models_loaded 2");
    expect(text).not.toContain('file="a.onnx"');
    expect(text).toContain('inference_model_load_failures{file="b.onnx",code="model_layout_unknown"} 1');
  });
});
