import { afterAll, beforeAll } from "bun:test";
import { AsyncLocalStorage } from "node:async_hooks";
import type { Detection, ResultOutcome } from "@common/contracts/detect-result";
import { loadConfig } from "@inference/config";
import { type CallbackOutcome, type ClaimOutcome, EdgeClient } from "@inference/core/edge-client";
import { Processor } from "@inference/core/processor";
import { InferenceError } from "@inference/errors";
import { silentLogger } from "@inference/log";
import { Metrics } from "@inference/metrics";
import type { Detector, ImageDetections } from "@inference/model/detector";
import {
  edgeClientOptions,
  imageFetchOptions,
  pullConsumerOptions,
  queuesApiOptions,
} from "@inference/service";
import { PullConsumer } from "@inference/sources/pull-consumer";
import { QueuesApi } from "@inference/sources/queues-api";
import { sharedServices } from "./shared-services";
import { STARTUP_TIMEOUT_MS, startTestWorker, type TestWorker, type TestWorkerOptions } from "./test-worker";

/**
 * What the stub model does with one delivery of a job:
 * - `succeed`: finds `stubDetections(jobId)`;
 * - `fail`: a model error worth retrying (reported to the edge, the message retried);
 * - `fail-permanently`: a film the model cannot use (reported, the message acked);
 * - `overloaded`: the model's queue refuses (nothing reported, the message retried), as when a
 *   worker is saturated, crashes or loses the job;
 * - `hang`: runs past the message's lease (redelivered meanwhile), then succeeds.
 */
export type StubBehaviour = "succeed" | "fail" | "fail-permanently" | "overloaded" | "hang";

export type Delivery = { jobId: string; attempt: number };

export type StubInferenceOptions = {
  /** Per delivery; default `succeed`. */
  behaviour?: (delivery: Delivery) => StubBehaviour;
  /** How long `hang` runs; default the lease plus a second. */
  hangMs?: number;
  /** The service's own settings (`INFERENCE_*`) over production's defaults, e.g. retry delays. */
  env?: Record<string, string>;
};

export type ClaimRecord = Delivery & { outcome: string; url?: string };
export type CallbackRecord = Delivery & { status: string; outcome: ResultOutcome | `http_${number}` | null };

/** Two detections that depend only on the job id, so a repeated run reports the identical result. */
export function stubDetections(jobId: string): Detection[] {
  const seed = Number.parseInt(jobId.replaceAll("-", "").slice(-4), 16) % 100;
  return [
    { classId: 0, label: "porosity", score: 0.9, box: { x1: seed, y1: 10, x2: seed + 50, y2: 60 } },
    {
      classId: 1,
      label: "crack",
      score: 0.6,
      box: { x1: 200, y1: seed, x2: 260, y2: seed + 30 },
      // A slanted crack measured in its box (as inference measures it); the pore has no extent, as
      // a result from before measurement.
      extent: {
        line: { x1: 202, y1: seed + 2, x2: 258, y2: seed + 28 },
        widthPx: 3,
        method: "segmented",
      },
    },
  ];
}

/**
 * The delivery the processor is working on, and the size of the image its claim named, for the
 * stub model (which is handed only the bytes, and does not decode them: test images need not be
 * real films).
 */
const currentDelivery = new AsyncLocalStorage<Delivery & { image?: { width: number; height: number } }>();

function stubModel(name: string, act: (delivery: Delivery) => Promise<void>): Detector {
  return {
    info: {
      name,
      version: "1.0.0",
      sha256: "b".repeat(64),
      path: "stub",
      classNames: ["porosity", "crack"],
      inputWidth: 640,
      inputHeight: 640,
      layout: "ultralytics",
      dynamicBatch: true,
      maxBatch: 8,
      task: "detect",
      stride: 32,
    },
    async detect(images): Promise<ImageDetections[]> {
      const delivery = currentDelivery.getStore();
      if (delivery === undefined) throw new Error("the stub model runs only inside a delivery");
      await act(delivery);
      const { width, height } = delivery.image ?? { width: 1, height: 1 };
      return images.map(() => ({
        width,
        height,
        detections: stubDetections(delivery.jobId),
        timings: { fetchMs: 0, decodeMs: 1, preprocessMs: 1, runMs: 5, postprocessMs: 1, totalMs: 8 },
        batchSize: 1,
      }));
    },
    warmup: async () => 0,
    load: 0,
    capacity: 64,
    dispose: async () => {},
  };
}

/**
 * The tests' inference service: production's pull consumer and processing core (claim, image
 * fetch by the claim's signed URL with its sha256 check, result callback, ack or retry with
 * backoff) against the test Worker's local Queues API, with a stub model in place of onnxruntime.
 * It records every delivery, claim and callback as the edge answered them.
 */
export async function startStubInference(worker: TestWorker, initial: StubInferenceOptions = {}) {
  let options = initial;
  const { secrets } = await sharedServices();
  const config = loadConfig({
    INFERENCE_EDGE_URL: worker.origin,
    INFERENCE_CALLBACK_TOKEN: secrets.callbackToken,
    ...worker.detectQueue.inferenceEnv,
    // The local API answers at once, so an idle consumer may ask often.
    INFERENCE_PULL_IDLE_MS: "20",
    ...options.env,
  });
  const deliveries: Array<Delivery & { at: number }> = [];
  const claims: ClaimRecord[] = [];
  const callbacks: CallbackRecord[] = [];

  const edge = new EdgeClient(edgeClientOptions(config));
  const recordingEdge = {
    async claim(jobId: string, attempt: number, traceparent: string): Promise<ClaimOutcome> {
      const answer = await edge.claim(jobId, attempt, traceparent);
      const delivery = currentDelivery.getStore();
      if (delivery !== undefined && answer.ok && answer.claim.outcome === "claimed") {
        delivery.image = { width: answer.claim.job.image.width, height: answer.claim.job.image.height };
      }
      claims.push(
        answer.ok
          ? {
              jobId,
              attempt,
              outcome: answer.claim.outcome,
              ...(answer.claim.outcome === "claimed" ? { url: answer.claim.job.image.url } : {}),
            }
          : { jobId, attempt, outcome: `http_${answer.status}` },
      );
      return answer;
    },
    async postResult(...args: Parameters<EdgeClient["postResult"]>): Promise<CallbackOutcome> {
      const [result] = args;
      const answer = await edge.postResult(...args);
      callbacks.push({
        jobId: result.jobId,
        attempt: result.attempt,
        status: result.status,
        outcome: answer.ok ? answer.outcome : `http_${answer.status ?? 0}`,
      });
      return answer;
    },
  };

  const act = async (delivery: Delivery) => {
    switch (options.behaviour?.(delivery) ?? "succeed") {
      case "succeed":
        return;
      case "fail":
        throw new InferenceError("inference_failed", "tensor shape mismatch");
      case "fail-permanently":
        throw new InferenceError("image_corrupt", "the film cannot be decoded");
      case "overloaded":
        throw new InferenceError("queue_full", "the model's queue is full");
      case "hang":
        await Bun.sleep(options.hangMs ?? config.VISIBILITY_TIMEOUT_MS + 1000);
    }
  };
  const metrics = new Metrics({ defaultMetrics: false });
  const processor = new Processor({
    models: { get: (name) => stubModel(name ?? "default", act) },
    edge: recordingEdge,
    fetch: imageFetchOptions(config),
    metrics,
    logger: silentLogger,
  });

  const newConsumer = () =>
    new PullConsumer(
      new QueuesApi(queuesApiOptions(config)),
      (message, attempt) => {
        const delivery = { jobId: message.jobId, attempt };
        deliveries.push({ ...delivery, at: Date.now() });
        return currentDelivery.run(delivery, () => processor.process(message, attempt, "pull"));
      },
      pullConsumerOptions(config),
      silentLogger,
      metrics,
    );
  let consumer: PullConsumer | null = newConsumer();
  consumer.start();

  return {
    deliveries,
    claims,
    callbacks,
    /** Changes what later deliveries do (per test); the service's settings stay. */
    configure(next: StubInferenceOptions) {
      options = next;
    },
    /** Stops pulling, as a service that is down; what is in flight finishes and is settled. */
    async stop() {
      await consumer?.stop();
      consumer = null;
    },
    /** Pulls again, as a service that came back. */
    start() {
      consumer ??= newConsumer();
      consumer.start();
    },
  };
}

export type StubInference = Awaited<ReturnType<typeof startStubInference>>;

/**
 * A test Worker and the stub inference service pulling its `detect` queue, for the whole file:
 * both start before its tests and stop after. Read `stack.worker` / `stack.inference` inside tests.
 */
export function useWorkerWithStubInference(
  options: TestWorkerOptions & { inference?: StubInferenceOptions } = {},
): { worker: TestWorker; inference: StubInference } {
  const stack = {} as { worker: TestWorker; inference: StubInference };
  beforeAll(async () => {
    const { inference, ...workerOptions } = options;
    // Images are read by presigned URL from the local stand-in of R2's S3 API, as in production.
    stack.worker = await startTestWorker({ r2S3: true, ...workerOptions });
    stack.inference = await startStubInference(stack.worker, inference);
  }, STARTUP_TIMEOUT_MS);
  afterAll(async () => {
    await stack.inference?.stop();
    await stack.worker?.dispose();
  });
  return stack;
}
