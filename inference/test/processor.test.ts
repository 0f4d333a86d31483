import { describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import type { DetectMessage } from "@common/contracts/detect-message";
import { detectMessage } from "@scripts/testing/fakes/edge";
import type { CallbackOutcome, ClaimOutcome } from "../src/core/edge-client";
import { Processor } from "../src/core/processor";
import { InferenceError } from "../src/errors";
import { silentLogger } from "../src/log";
import { Metrics } from "../src/metrics";
import type { Detector } from "../src/model/detector";

// The processor's decisions with stand-ins for models, image download and edge, so each failure
// mode can be produced exactly.

const info = { name: "m", version: "1", sha256: "f".repeat(64) } as Detector["info"];

/** By default the edge claims the job as queued (`message` below). */
const claimedAsQueued = (job: DetectMessage, attempt: number): ClaimOutcome => ({
  ok: true,
  claim: { outcome: "claimed", attempts: attempt, job },
});

function processor(options: {
  detect: Detector["detect"];
  callback?: CallbackOutcome;
  imageStatus?: number;
  claim?: (attempt: number) => ClaimOutcome;
}) {
  const posted: Array<{
    status: string;
    attempt: number;
    error?: { code: string; permanent: boolean };
    model?: unknown;
  }> = [];
  const claims: Array<{ jobId: string; attempt: number; traceparent: string }> = [];
  const fetched: string[] = [];
  const models: string[] = [];
  const detector = { info, detect: options.detect } as Detector;
  const metrics = new Metrics({ defaultMetrics: false });
  const instance = new Processor({
    models: {
      get: (name) => {
        models.push(name as string);
        return detector;
      },
    },
    edge: {
      claim: async (jobId, attempt, traceparent) => {
        claims.push({ jobId, attempt, traceparent });
        return options.claim?.(attempt) ?? claimedAsQueued(message, attempt);
      },
      postResult: async (result) => {
        posted.push(result as (typeof posted)[number]);
        return options.callback ?? { ok: true, status: 200, outcome: "applied" };
      },
    },
    fetch: {
      timeoutMs: 1000,
      maxBytes: 1000,
      fetch: (async (url: string | URL) => {
        fetched.push(String(url));
        return new Response("img", { status: options.imageStatus ?? 200 });
      }) as unknown as typeof fetch,
    },
    metrics,
    logger: silentLogger,
  });
  return { instance, posted, claims, fetched, models, metrics };
}

const message = detectMessage({
  url: "https://edge.test/i.png",
  sha256: createHash("sha256").update("img").digest("hex"),
});

const found = (): Awaited<ReturnType<Detector["detect"]>> => [
  {
    width: 1,
    height: 1,
    detections: [],
    batchSize: 1,
    timings: { fetchMs: 0, decodeMs: 0, preprocessMs: 0, runMs: 0, postprocessMs: 0, totalMs: 0 },
  },
];

describe("Processor claims the job first", () => {
  test("the claim carries the delivery attempt and a child span of the message's trace", async () => {
    const { instance, claims, posted } = processor({ detect: async () => found() });
    expect(await instance.process(message, 4, "test")).toEqual({ outcome: "ack" });
    expect(claims).toHaveLength(1);
    const [claim] = claims;
    expect(claim).toMatchObject({ jobId: message.jobId, attempt: 4 });
    const [, traceId, spanId] = claim?.traceparent.split("-") ?? [];
    expect(traceId).toBe("4bf92f3577b34da6a3ce929d0e0e4736");
    expect(spanId).not.toBe("00f067aa0ba902b7");
    // The result reports the queue's delivery attempt, as before the claim existed.
    expect(posted.map((p) => p.attempt)).toEqual([4]);
  });

  test("the claimed job runs, not the queued message: its URL, parameters and model", async () => {
    const params: DetectMessage["params"][] = [];
    const claimedJob: DetectMessage = {
      ...message,
      image: { ...message.image, url: "https://edge.test/fresh.png?sig=new" },
      params: { conf: 0.6, iou: 0.3, maxDet: 5, classes: [1] },
      model: "other-model",
    };
    const { instance, fetched, models } = processor({
      detect: async (_images, p) => {
        params.push(p as DetectMessage["params"]);
        return found();
      },
      claim: () => ({ ok: true, claim: { outcome: "claimed", attempts: 2, job: claimedJob } }),
    });
    expect(await instance.process(message, 1, "test")).toEqual({ outcome: "ack" });
    expect(fetched).toEqual(["https://edge.test/fresh.png?sig=new"]);
    expect(params).toEqual([claimedJob.params]);
    expect(models).toEqual(["other-model"]);
  });

  test("a finished job is acked without fetching, detecting or reporting", async () => {
    let detected = 0;
    const { instance, fetched, posted, metrics } = processor({
      detect: async () => {
        detected++;
        return found();
      },
      claim: () => ({ ok: true, claim: { outcome: "finished" } }),
    });
    expect(await instance.process(message, 2, "test")).toEqual({ outcome: "ack" });
    expect({ fetched, posted, detected }).toEqual({ fetched: [], posted: [], detected: 0 });
    expect(await metrics.registry.metrics()).toContain(
      'inference_jobs_total{source="test",outcome="already_finished"} 1',
    );
  });

  test("a claim the edge never answered asks for redelivery and does nothing else", async () => {
    let detected = 0;
    const { instance, fetched, posted, models } = processor({
      detect: async () => {
        detected++;
        return found();
      },
      claim: () => ({ ok: false, status: 503, reason: "edge answered 503" }),
    });
    expect(await instance.process(message, 1, "test")).toEqual({
      outcome: "retry",
      reason: "edge answered 503",
    });
    expect({ fetched, posted, models, detected }).toEqual({
      fetched: [],
      posted: [],
      models: [],
      detected: 0,
    });
  });
});

describe("Processor outcomes", () => {
  test("a full model queue asks for redelivery without reporting a failure", async () => {
    const { instance, posted } = processor({
      detect: async () => {
        throw new InferenceError("queue_full", "full");
      },
    });
    expect(await instance.process(message, 1, "test")).toEqual({ outcome: "retry", reason: "full" });
    expect(posted).toEqual([]);
  });

  test("an unexpected runtime error is reported as retryable and retried", async () => {
    const { instance, posted } = processor({
      detect: async () => {
        throw new Error("onnxruntime exploded");
      },
    });
    const outcome = await instance.process(message, 3, "test");
    expect(outcome.outcome).toBe("retry");
    expect(posted[0]?.error).toMatchObject({ code: "internal", permanent: false });
  });

  test("a permanent failure the edge did not accept is retried, not acked", async () => {
    const { instance } = processor({
      detect: async () => {
        throw new InferenceError("image_corrupt", "bad");
      },
      callback: { ok: false, status: 503, reason: "edge answered 503" },
    });
    const outcome = await instance.process(message, 1, "test");
    expect(outcome).toEqual({ outcome: "retry", reason: "bad; edge answered 503" });
  });

  test("a deleted image (404) is a permanent failure", async () => {
    const { instance, posted } = processor({ detect: async () => [], imageStatus: 404 });
    expect(await instance.process(message, 1, "test")).toEqual({ outcome: "ack" });
    expect(posted[0]?.error).toMatchObject({ code: "image_not_found", permanent: true });
  });

  test("in-flight count and idle() follow the work", async () => {
    let finish: () => void = () => {};
    const { instance } = processor({
      detect: () =>
        new Promise((resolve) => {
          finish = () => resolve(found());
        }),
    });
    const running = instance.process(message, 1, "test");
    await Bun.sleep(5);
    expect(instance.inFlight).toBe(1);
    let idle = false;
    const waiting = instance.idle().then(() => {
      idle = true;
    });
    expect(idle).toBe(false);
    finish();
    expect(await running).toEqual({ outcome: "ack" });
    await waiting;
    expect(instance.inFlight).toBe(0);
  });
});
