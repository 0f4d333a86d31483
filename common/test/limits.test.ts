import { describe, expect, test } from "bun:test";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { type DetectResult, DetectResultSchema } from "@common/contracts/detect-result";
import * as limits from "@common/limits";
import { configSchema as edgeConfigSchema } from "@edge/config";
import { CreateJobsSchema } from "@edge/routes/jobs/schema";
import { loadConfig as loadInferenceConfig } from "@inference/config";
import { readWranglerConfig } from "@scripts/local-stack/wrangler-config";

// Settings that must agree across the queue (common/limits.ts): each side's default, what each
// deployed Worker environment sets in wrangler.toml, and what the inference deployment sets in its
// env file must all be the shared value; a mismatch fails jobs that one side accepted.

const repoRoot = join(import.meta.dir, "..", "..");
const wrangler = await readWranglerConfig();
const sections = [
  { name: "top level", vars: wrangler.vars },
  ...Object.entries(wrangler.env).map(([name, section]) => ({ name: `[env.${name}]`, vars: section.vars })),
];

/** deploy/kubernetes/base/inference.env, the settings the inference pods get. */
async function inferenceDeploymentEnv(): Promise<Record<string, string>> {
  const text = await readFile(join(repoRoot, "deploy/kubernetes/base/inference.env"), "utf8");
  const entries = text
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#"))
    .map((line) => {
      const at = line.indexOf("=");
      return [line.slice(0, at), line.slice(at + 1)] as const;
    });
  return Object.fromEntries(entries);
}

/** The edge's value of `key` in a section: its var when set, else the default. */
const edgeValue = (key: keyof typeof edgeConfigSchema.shape, vars: Record<string, string>) =>
  edgeConfigSchema.shape[key].parse(vars[key]);

/** Settings both sides have, under the same name (inference reads it with its `INFERENCE_` prefix). */
const PAIRED = {
  MAX_IMAGE_BYTES: limits.MAX_IMAGE_BYTES,
  MAX_IMAGE_PIXELS: limits.MAX_IMAGE_PIXELS,
} as const;

/** Names the inference service serves: its models folder's `.onnx` files, named as inference/src/model/detector.ts names them. */
async function servedModels(modelsDir: string): Promise<string[]> {
  const files = await readdir(modelsDir);
  return files.filter((file) => /\.onnx$/i.test(file)).map((file) => file.replace(/\.onnx$/i, ""));
}

/** A succeeded result at the size limit's worst: every detection allowed, long labels, full-precision numbers. */
function largestResult(): DetectResult {
  const long = (n: number) => n + 0.123456789012345;
  return {
    version: 1,
    jobId: "01890a5d-ac96-774b-bcce-b302099a8057",
    status: "succeeded",
    attempt: 99,
    model: { name: "m".repeat(64), version: "v".repeat(32), sha256: "0".repeat(64) },
    image: { width: 100_000, height: 100_000 },
    detections: Array.from({ length: limits.MAX_DETECTIONS_PER_IMAGE }, (_, i) => ({
      classId: 999,
      label: "l".repeat(64),
      score: 0.123456789012345,
      box: { x1: long(10_000 + i), y1: long(20_000 + i), x2: long(30_000 + i), y2: long(40_000 + i) },
    })),
    timings: {
      fetchMs: long(1000),
      decodeMs: long(1000),
      preprocessMs: long(1000),
      runMs: long(1000),
      postprocessMs: long(1000),
      tilingMs: long(1000),
      tiles: 1024,
      totalMs: long(1000),
    },
  };
}

describe("limits shared by the edge and the inference service", () => {
  test("both sides default to the shared values", () => {
    const inference = loadInferenceConfig({});
    for (const [key, value] of Object.entries(PAIRED)) {
      const edge = edgeValue(key as keyof typeof PAIRED, {});
      expect({ key, edge, inference: inference[key as keyof typeof PAIRED] }).toEqual({
        key,
        edge: value,
        inference: value,
      });
    }
    expect(edgeValue("DETECTION_MODELS", {})).toEqual([...limits.DETECTION_MODELS]);
    expect(edgeValue("MAX_CALLBACK_BODY_BYTES", {})).toBe(limits.MAX_CALLBACK_BODY_BYTES);
  });

  for (const { name, vars } of sections) {
    test(`wrangler.toml ${name} keeps the shared values`, () => {
      for (const [key, value] of Object.entries(PAIRED)) {
        expect({ key, value: edgeValue(key as keyof typeof PAIRED, vars) }).toEqual({ key, value });
      }
      expect(edgeValue("MAX_CALLBACK_BODY_BYTES", vars)).toBe(limits.MAX_CALLBACK_BODY_BYTES);
    });

    test(`every model wrangler.toml ${name} lets jobs name has a file in the inference models folder`, async () => {
      const served = await servedModels(loadInferenceConfig({}).MODELS_DIR);
      const named = edgeConfigSchema.shape.DETECTION_MODELS.parse(vars.DETECTION_MODELS);
      expect(named.filter((model) => !served.includes(model))).toEqual([]);
    });
  }

  test("the inference deployment's env file keeps the shared values", async () => {
    const deployed = loadInferenceConfig(await inferenceDeploymentEnv());
    for (const [key, value] of Object.entries(PAIRED)) {
      expect({ key, value: deployed[key as keyof typeof PAIRED] }).toEqual({ key, value });
    }
  });

  test("a job's detection defaults are inference's, so /v1/detect and a job answer alike", () => {
    const job = CreateJobsSchema.parse({ imageId: "01890a5d-ac96-774b-bcce-b302099a8057" });
    const inference = loadInferenceConfig({});
    expect({ conf: job.conf, iou: job.iou, maxDet: job.maxDet }).toEqual({
      conf: inference.DEFAULT_CONF,
      iou: inference.DEFAULT_IOU,
      maxDet: inference.DEFAULT_MAX_DET,
    });
    expect(job.maxDet).toBeLessThanOrEqual(limits.MAX_DETECTIONS_PER_IMAGE);
  });

  test("the largest result a job may produce fits the edge's callback body limit", () => {
    const body = JSON.stringify(DetectResultSchema.parse(largestResult()));
    expect(new TextEncoder().encode(body).byteLength).toBeLessThan(limits.MAX_CALLBACK_BODY_BYTES);
  });

  test("inference's longest idle pull is shorter than the line admission reads a pace from", () => {
    expect(limits.MAX_PULL_IDLE_MS).toBeLessThan(limits.STANDING_LINE_SECONDS * 1000);
    expect(loadInferenceConfig({}).PULL_IDLE_MS).toBeLessThanOrEqual(limits.MAX_PULL_IDLE_MS);
    expect(() =>
      loadInferenceConfig({ INFERENCE_PULL_IDLE_MS: String(limits.MAX_PULL_IDLE_MS + 1) }),
    ).toThrow(/INFERENCE_PULL_IDLE_MS/);
  });
});
