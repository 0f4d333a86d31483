import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import type { EvaluateMessage } from "@common/contracts/detect-message";
import {
  EVALUATION_PARAMS,
  EVALUATION_THRESHOLD,
  type EvaluatedModel,
  type EvaluationClaim,
  type EvaluationResult,
  EvaluationResultSchema,
} from "@common/contracts/evaluation";
import type { Answered } from "../../src/core/edge-client";
import { InferenceError } from "../../src/errors";
import { Evaluator } from "../../src/eval/evaluator";
import { silentLogger } from "../../src/log";
import { Metrics } from "../../src/metrics";
import { type Detector, loadDetector } from "../../src/model/detector";
import { fixtureModel, solidImage } from "../fixtures";

// An evaluation on a tiny synthetic validation set with the fixture models, through the real
// detector (onnxruntime, tiling, NMS). The v8 fixtures find the same boxes on any 64x64 image:
// porosity at [22,27,42,37] (0.50) and [52,52,64,64] (0.40), crack at [0,0,8,8] (0.35).

const CLASSES = ["porosity", "crack"];
const detectors: Record<string, Detector> = {};
let image: Buffer;
const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

beforeAll(async () => {
  detectors["v8-dynamic"] = await loadDetector(fixtureModel("v8-dynamic"), { intraOpThreads: 1 });
  // Same boxes, but its classes are named class_0 and class_1: none is a dataset class.
  detectors.v8 = await loadDetector(fixtureModel("v8"), { intraOpThreads: 1 });
  image = await solidImage(64, 64, [128, 128, 128]);
});
afterAll(async () => {
  await Promise.all(Object.values(detectors).map((d) => d.dispose()));
});

const message: EvaluateMessage = {
  version: 1,
  kind: "evaluate",
  evaluationId: "0190a000-0000-7000-8000-000000000001",
  traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
  enqueuedAt: new Date().toISOString(),
};

const registry = (name: string): EvaluatedModel => ({
  source: "registry",
  name,
  version: 2,
  sha256: "a".repeat(64),
  bytes: 100,
  url: "https://edge.test/model",
  urlExpiresAt: new Date().toISOString(),
});

function claimWith(candidate: EvaluatedModel, baseline: EvaluatedModel, items = 2): EvaluationClaim {
  return {
    outcome: "claimed",
    attempts: 1,
    evaluation: {
      id: message.evaluationId,
      datasetId: "0190a000-0000-7000-8000-000000000002",
      classes: CLASSES,
      params: { ...EVALUATION_PARAMS },
      threshold: EVALUATION_THRESHOLD,
      items: Array.from({ length: items }, (_, i) => ({
        key: `film-${i}`,
        url: `https://edge.test/items/${i}.png`,
        urlExpiresAt: new Date().toISOString(),
        sha256: sha256(image),
        boxes: [
          { classId: 0, x1: 22, y1: 27, x2: 42, y2: 37 },
          { classId: 1, x1: 30, y1: 0, x2: 40, y2: 10 },
        ],
      })),
      candidate,
      baseline,
    },
  };
}

function evaluator(
  claim: () => EvaluationClaim,
  options: {
    progress?: "continue" | "stop";
    result?: Answered<{ outcome: "applied" }>;
    models?: Record<string, Detector>;
  } = {},
) {
  const served = options.models ?? detectors;
  const results: EvaluationResult[] = [];
  const progress: number[] = [];
  const released: string[] = [];
  const instance = new Evaluator({
    models: {
      get: (name) => {
        const detector = served[name as string];
        if (detector === undefined) throw new InferenceError("model_not_found", `no model ${name}`);
        return detector;
      },
      version: async (model) => ({
        detector: served[model.name] as Detector,
        release: () => released.push(model.name),
      }),
    } as ConstructorParameters<typeof Evaluator>[0]["models"],
    edge: {
      claimEvaluation: async () => ({ ok: true, value: claim() }),
      reportEvaluationProgress: async (_id, report) => {
        progress.push(report.done);
        return { ok: true, value: { outcome: options.progress ?? "continue" } };
      },
      postEvaluationResult: async (result) => {
        results.push(EvaluationResultSchema.parse(result));
        return options.result ?? { ok: true, value: { outcome: "applied" } };
      },
    },
    fetch: {
      timeoutMs: 1000,
      maxBytes: 1_000_000,
      fetch: (async () => new Response(image)) as unknown as typeof fetch,
    },
    metrics: new Metrics({ defaultMetrics: false }),
    logger: silentLogger,
    progressEveryMs: options.progress ? 0 : 60_000,
    queueRetryMaxMs: 20,
  });
  return { instance, results, progress, released };
}

describe("Evaluator", () => {
  test("scores the candidate and the shipped baseline side by side, per dataset class", async () => {
    const { instance, results, released } = evaluator(() =>
      claimWith(registry("v8-dynamic"), { source: "shipped", name: "v8" }),
    );
    expect(await instance.process(message, 1)).toEqual({ outcome: "ack" });
    const [result] = results;
    if (result?.status !== "succeeded") throw new Error(`expected a success, got ${JSON.stringify(result)}`);
    expect(result).toMatchObject({ images: 2, truths: 4, threshold: EVALUATION_THRESHOLD, attempt: 1 });
    // Porosity: each image's 0.50 box hits its truth, the 0.40 one is a false positive → AP 1.
    // Crack: its only box misses → AP 0. Precision counts all six boxes above 0.25.
    expect(result.candidate.model).toEqual({ name: "v8-dynamic", version: "2", sha256: "a".repeat(64) });
    expect(result.candidate.map50).toBeCloseTo(0.5, 6);
    expect(result.candidate.precision).toBeCloseTo(2 / 6, 6);
    expect(result.candidate.recall).toBeCloseTo(0.5, 6);
    expect(result.candidate.perClass.map((c) => [c.name, c.truths, c.ap50])).toEqual([
      ["porosity", 2, 1],
      ["crack", 2, 0],
    ]);
    // The baseline's classes have other names: nothing it finds counts for a dataset class.
    expect(result.baseline.model.name).toBe("v8");
    expect(result.baseline).toMatchObject({ map50: 0, map50_95: 0, precision: 0, recall: 0 });
    expect(released).toEqual(["v8-dynamic"]);
  });

  test("the same model on both sides gives the same figures", async () => {
    const { instance, results } = evaluator(() =>
      claimWith(registry("v8-dynamic"), { source: "shipped", name: "v8-dynamic" }),
    );
    await instance.process(message, 3);
    const [result] = results;
    if (result?.status !== "succeeded") throw new Error("expected a success");
    const { model: _c, ...candidate } = result.candidate;
    const { model: _b, ...baseline } = result.baseline;
    expect(candidate).toEqual(baseline);
  });

  test("reports progress while it runs, and stops when the edge says the attempt is over", async () => {
    const running = evaluator(() => claimWith(registry("v8-dynamic"), { source: "shipped", name: "v8" }, 3), {
      progress: "continue",
    });
    await running.instance.process(message, 1);
    expect(running.progress).toEqual([0, 1, 2]);
    expect(running.results).toHaveLength(1);

    const stopped = evaluator(() => claimWith(registry("v8-dynamic"), { source: "shipped", name: "v8" }), {
      progress: "stop",
    });
    expect(await stopped.instance.process(message, 1)).toEqual({ outcome: "ack" });
    expect(stopped.results).toHaveLength(0);
    expect(stopped.released).toEqual(["v8-dynamic"]);
  });

  test("a model queue full of jobs' work is waited out with heartbeats, not given up", async () => {
    // Giving up would leave the claim held: the redelivery is answered `busy` and dropped.
    let refusals = 0;
    const crowded: Detector = Object.create(detectors["v8-dynamic"] as Detector, {
      detect: {
        value: (...args: Parameters<Detector["detect"]>) => {
          if (refusals < 3) {
            refusals += 1;
            return Promise.reject(new InferenceError("queue_full", "the model queue is full (64 images)"));
          }
          return (detectors["v8-dynamic"] as Detector).detect(...args);
        },
      },
    });
    const { instance, results, progress } = evaluator(
      () => claimWith(registry("crowded"), { source: "shipped", name: "v8" }, 1),
      { progress: "continue", models: { crowded, v8: detectors.v8 as Detector } },
    );
    expect(await instance.process(message, 1)).toEqual({ outcome: "ack" });
    expect(refusals).toBe(3);
    // Heartbeats before the image and during each wait, all at 0 images done.
    expect(progress.length).toBeGreaterThanOrEqual(4);
    expect(progress.every((done) => done === 0)).toBe(true);
    const [result] = results;
    if (result?.status !== "succeeded") throw new Error(`expected a success, got ${JSON.stringify(result)}`);
    expect(result.candidate.map50).toBeCloseTo(0.5, 6);
  });

  test("finished and busy claims are acknowledged without work", async () => {
    for (const outcome of ["finished", "busy"] as const) {
      const { instance, results } = evaluator(() => ({ outcome }));
      expect(await instance.process(message, 2)).toEqual({ outcome: "ack" });
      expect(results).toHaveLength(0);
    }
  });

  test("an unknown baseline is a permanent failure, reported once and acknowledged", async () => {
    const { instance, results, released } = evaluator(() =>
      claimWith(registry("v8-dynamic"), { source: "shipped", name: "gone" }),
    );
    expect(await instance.process(message, 1)).toEqual({ outcome: "ack" });
    expect(results).toEqual([
      expect.objectContaining({
        status: "failed",
        error: expect.objectContaining({ code: "model_not_found", permanent: true }),
      }),
    ]);
    expect(released).toEqual(["v8-dynamic"]);
  });

  test("a result the edge did not take is retried", async () => {
    const { instance } = evaluator(
      () => claimWith(registry("v8-dynamic"), { source: "shipped", name: "v8" }),
      {
        result: { ok: false, status: 503, reason: "edge answered 503" },
      },
    );
    expect(await instance.process(message, 1)).toEqual({ outcome: "retry", reason: "edge answered 503" });
  });
});
