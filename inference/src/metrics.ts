import type { StageTimings } from "@common/contracts/detect-result";
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import type { LoadFailure } from "./model/registry";

export const STAGES = ["claim", "fetch", "decode", "preprocess", "run", "postprocess", "callback"] as const;
export type Stage = (typeof STAGES)[number];

/** `already_finished`: the claim said the job was finished (or deleted); the message was acked unrun. */
export type JobOutcome = "succeeded" | "failed_permanent" | "failed_retryable" | "retry" | "already_finished";

/** The service's Prometheus metrics, on their own registry so tests can build several. */
export class Metrics {
  readonly registry = new Registry();
  readonly jobs = new Counter({
    name: "inference_jobs_total",
    help: "Queue messages processed, by source and outcome",
    labelNames: ["source", "outcome"] as const,
    registers: [this.registry],
  });
  readonly batchSize = new Histogram({
    name: "inference_batch_size",
    help: "Images per model run",
    labelNames: ["model"] as const,
    buckets: [1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 64],
    registers: [this.registry],
  });
  readonly stageSeconds = new Histogram({
    name: "inference_stage_seconds",
    help: "Wall time per processing stage",
    labelNames: ["stage"] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  readonly inFlight = new Gauge({
    name: "inference_in_flight",
    help: "Messages and synchronous requests being processed",
    registers: [this.registry],
  });
  readonly errors = new Counter({
    name: "inference_errors_total",
    help: "Errors by stable error code",
    labelNames: ["code"] as const,
    registers: [this.registry],
  });
  // Model loading happens once per process, so its outcome is a state (gauges), not events: a counter
  // born at 1 on start-up would be invisible to increase()/rate() and so to any alert on it.
  readonly modelsLoaded = new Gauge({
    name: "inference_models_loaded",
    help: "Models this process loaded and serves",
    registers: [this.registry],
  });
  readonly modelLoadFailures = new Gauge({
    name: "inference_model_load_failures",
    help: "1 for each model file of the models folder that could not be loaded, by file and error code",
    labelNames: ["file", "code"] as const,
    registers: [this.registry],
  });
  readonly pullRequests = new Counter({
    name: "inference_queue_api_requests_total",
    help: "Cloudflare Queues API calls by operation and result",
    labelNames: ["operation", "result"] as const,
    registers: [this.registry],
  });

  constructor(options: { defaultMetrics?: boolean } = {}) {
    if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry });
  }

  /** The outcome of loading the models folder: how many models are served and which files failed. */
  recordModelLoad(loaded: number, failures: readonly LoadFailure[]): void {
    this.modelsLoaded.set(loaded);
    this.modelLoadFailures.reset();
    for (const { file, code } of failures) this.modelLoadFailures.set({ file, code }, 1);
  }

  observeStage(stage: Stage, ms: number): void {
    this.stageSeconds.observe({ stage }, ms / 1000);
  }

  /** The detector's own stages of one image (claim, fetch and callback belong to the processor). */
  observeDetection(timings: StageTimings): void {
    this.observeStage("decode", timings.decodeMs);
    this.observeStage("preprocess", timings.preprocessMs);
    this.observeStage("run", timings.runMs);
    this.observeStage("postprocess", timings.postprocessMs);
  }
}
