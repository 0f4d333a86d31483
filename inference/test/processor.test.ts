import { describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import type { CallbackOutcome } from "../src/core/edge-client";
import { Processor } from "../src/core/processor";
import { InferenceError } from "../src/errors";
import { silentLogger } from "../src/log";
import { Metrics } from "../src/metrics";
import type { Detector } from "../src/model/detector";
import { detectMessage } from "./fixtures/fake-edge";

// The processor's decisions with stand-ins for models, image download and edge, so each failure
// mode can be produced exactly.

const info = { name: "m", version: "1", sha256: "f".repeat(64) } as Detector["info"];

function processor(options: {
  detect: Detector["detect"];
  callback?: CallbackOutcome;
  imageStatus?: number;
}) {
  const posted: Array<{ status: string; error?: { code: string; permanent: boolean } }> = [];
  const detector = { info, detect: options.detect } as Detector;
  const instance = new Processor({
    models: { get: () => detector },
    edge: {
      postResult: async (result) => {
        posted.push(result as (typeof posted)[number]);
        return options.callback ?? { ok: true, status: 200 };
      },
    },
    fetch: {
      timeoutMs: 1000,
      maxBytes: 1000,
      fetch: (async () =>
        new Response("img", { status: options.imageStatus ?? 200 })) as unknown as typeof fetch,
    },
    metrics: new Metrics({ defaultMetrics: false }),
    logger: silentLogger,
  });
  return { instance, posted };
}

const message = detectMessage({
  url: "https://edge.test/i.png",
  sha256: createHash("sha256").update("img").digest("hex"),
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
        throw new InferenceError("image_undecodable", "bad");
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
          finish = () =>
            resolve([
              {
                width: 1,
                height: 1,
                detections: [],
                batchSize: 1,
                timings: { fetchMs: 0, decodeMs: 0, preprocessMs: 0, runMs: 0, postprocessMs: 0, totalMs: 0 },
              },
            ]);
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
