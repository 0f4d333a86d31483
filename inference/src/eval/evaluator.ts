import type { EvaluateMessage } from "@common/contracts/detect-message";
import type { ModelIdentity } from "@common/contracts/detect-result";
import type { EvaluatedModel, EvaluationClaim, EvaluationResult } from "@common/contracts/evaluation";
import { backoffDelay, sleep } from "../core/backoff";
import type { EdgeClient } from "../core/edge-client";
import { fetchImage, type ImageFetchOptions } from "../core/image-fetch";
import { childSpan, formatTraceparent } from "../core/traceparent";
import { type ErrorCode, InferenceError, toInferenceError } from "../errors";
import type { Logger } from "../log";
import type { Metrics } from "../metrics";
import type { Detector } from "../model/detector";
import type { ModelRegistry } from "../model/registry";
import type { VersionLease } from "../model/version-cache";
import type { ImageResult } from "./average-precision";
import { predictionsFor, scoreModel, truthsOf } from "./score";

/** What the queue does with the message: acknowledge it, or deliver it again later. */
export type EvaluationOutcome = { outcome: "ack" } | { outcome: "retry"; reason: string };

export type EvaluationEdge = Pick<
  EdgeClient,
  "claimEvaluation" | "reportEvaluationProgress" | "postEvaluationResult"
>;

export interface EvaluatorDeps {
  models: Pick<ModelRegistry, "get"> & Partial<Pick<ModelRegistry, "version">>;
  edge: EvaluationEdge;
  fetch: ImageFetchOptions;
  metrics: Metrics;
  logger: Logger;
  /** How often a running evaluation reports progress, its heartbeat (default 10 s). */
  progressEveryMs?: number;
  /** Longest pause between tries while the model queue is full (default 5 s; jittered backoff). */
  queueRetryMaxMs?: number;
}

type Claimed = Extract<EvaluationClaim, { outcome: "claimed" }>["evaluation"];
type Side = { detector: Detector; identity: ModelIdentity; lease?: VersionLease };

/** Errors that say nothing about the evaluation: the message simply comes back later. */
const BACKPRESSURE: ReadonlySet<ErrorCode> = new Set(["queue_full", "shutting_down"]);
/** First pause before trying a full model queue again. */
const QUEUE_RETRY_BASE_MS = 100;

/** The edge ended this attempt (finished, or claimed again after a silence): stop working on it. */
class Stopped extends Error {}

/**
 * Runs an evaluation message: claims it, runs every validation image through the candidate and
 * the model it would replace with the service's own pipeline (the same detectors, tiling and NMS
 * jobs get), scores both with the COCO-style metrics and posts the figures. A claim answered
 * `finished` or `busy` is acknowledged; so is a result the edge accepted, or a permanent failure
 * it recorded. Everything else is retried like a job.
 */
export class Evaluator {
  constructor(private readonly deps: EvaluatorDeps) {}

  async process(message: EvaluateMessage, attempt: number): Promise<EvaluationOutcome> {
    const { logger, edge } = this.deps;
    const traceparent = formatTraceparent(childSpan(message.traceparent));
    const log = { evaluationId: message.evaluationId, attempt, traceparent };
    const claimed = await edge.claimEvaluation(message.evaluationId, attempt, traceparent);
    if (!claimed.ok) {
      logger.warn("evaluation claim failed", { ...log, reason: claimed.reason });
      return { outcome: "retry", reason: claimed.reason };
    }
    if (claimed.value.outcome !== "claimed") {
      logger.info("evaluation not claimed; message acknowledged", { ...log, outcome: claimed.value.outcome });
      return { outcome: "ack" };
    }
    const evaluation = claimed.value.evaluation;
    // Progress and results name the edge's claim count, so a superseded attempt can be told apart.
    const current = claimed.value.attempts;
    const sides: Side[] = [];
    try {
      // One at a time, so a baseline that fails to load still releases the candidate's lease.
      sides.push(await this.side(evaluation.candidate));
      sides.push(await this.side(evaluation.baseline));
      const result = await this.run(evaluation, current, sides as [Side, Side], traceparent);
      const posted = await edge.postEvaluationResult(result, traceparent);
      if (!posted.ok) return { outcome: "retry", reason: posted.reason };
      logger.info("evaluation finished", { ...log, outcome: posted.value.outcome, images: result.images });
      return { outcome: "ack" };
    } catch (thrown) {
      if (thrown instanceof Stopped) {
        logger.info("evaluation attempt stopped by the edge", log);
        return { outcome: "ack" };
      }
      return this.fail(message.evaluationId, current, toInferenceError(thrown), traceparent, log);
    } finally {
      for (const side of sides) side.lease?.release();
    }
  }

  /** A shipped model by name, or a registry version downloaded and leased like a job's. */
  private async side(model: EvaluatedModel): Promise<Side> {
    if (model.source === "shipped") {
      const detector = this.deps.models.get(model.name);
      const { name, version, sha256 } = detector.info;
      return { detector, identity: { name, version, sha256 } };
    }
    if (this.deps.models.version === undefined) {
      throw new InferenceError(
        "model_not_found",
        `registry model versions are not served here (${model.name})`,
      );
    }
    const lease = await this.deps.models.version(model);
    return {
      detector: lease.detector,
      identity: { name: model.name, version: String(model.version), sha256: model.sha256 },
      lease,
    };
  }

  /** Every item through both models, one image at a time, with a heartbeat every few seconds. */
  private async run(
    evaluation: Claimed,
    attempt: number,
    [candidate, baseline]: [Side, Side],
    traceparent: string,
  ): Promise<Extract<EvaluationResult, { status: "succeeded" }>> {
    const started = performance.now();
    const everyMs = this.deps.progressEveryMs ?? 10_000;
    let lastBeat = started;
    let done = 0;
    const beatIfDue = async () => {
      if (performance.now() - lastBeat < everyMs) return;
      await this.heartbeat(evaluation.id, attempt, done, evaluation.items.length, traceparent);
      lastBeat = performance.now();
    };
    const images: [ImageResult[], ImageResult[]] = [[], []];
    for (const item of evaluation.items) {
      await beatIfDue();
      const bytes = await fetchImage(item.url, item.sha256, this.deps.fetch);
      const found = await Promise.all(
        [candidate, baseline].map(({ detector }) =>
          this.detectWhenRoom(detector, bytes, evaluation, beatIfDue),
        ),
      );
      done += 1;
      const truths = truthsOf(item);
      found.forEach((detections, side) => {
        images[side]?.push({ truths, predictions: predictionsFor(detections, evaluation.classes) });
      });
    }
    const { classes, threshold } = evaluation;
    return {
      version: 1,
      evaluationId: evaluation.id,
      status: "succeeded",
      attempt,
      images: evaluation.items.length,
      truths: evaluation.items.reduce((sum, item) => sum + item.boxes.length, 0),
      threshold,
      candidate: scoreModel(candidate.identity, images[0], classes, threshold),
      baseline: scoreModel(baseline.identity, images[1], classes, threshold),
      seconds: (performance.now() - started) / 1000,
    };
  }

  /**
   * One image through one model. Jobs come first: while their work fills the model queue, the
   * evaluation waits for room (jittered backoff) and keeps its claim alive with heartbeats. Giving
   * the attempt up instead would leave the claim held, so the redelivered message would be
   * answered `busy` and dropped, and the evaluation would sit `running` until the sweeper noticed.
   */
  private async detectWhenRoom(
    detector: Detector,
    bytes: Uint8Array,
    evaluation: Claimed,
    beatIfDue: () => Promise<void>,
  ) {
    const maxMs = this.deps.queueRetryMaxMs ?? 5_000;
    for (let tries = 0; ; tries += 1) {
      try {
        const [detected] = await detector.detect([bytes], evaluation.params);
        if (detected === undefined) throw new Error("detector returned no result");
        return detected.detections;
      } catch (thrown) {
        if (!(thrown instanceof InferenceError && thrown.code === "queue_full")) throw thrown;
      }
      this.deps.metrics.errors.inc({ code: "queue_full" });
      await sleep(backoffDelay(tries, QUEUE_RETRY_BASE_MS, maxMs));
      await beatIfDue();
    }
  }

  /** Reports progress; `stop` ends the attempt. An unreachable edge does not: the result will tell. */
  private async heartbeat(id: string, attempt: number, done: number, total: number, traceparent: string) {
    const answer = await this.deps.edge.reportEvaluationProgress(
      id,
      { version: 1, attempt, done, total },
      traceparent,
    );
    if (!answer.ok) {
      this.deps.logger.warn("evaluation progress not reported", { evaluationId: id, reason: answer.reason });
      return;
    }
    if (answer.value.outcome === "stop") throw new Stopped();
  }

  private async fail(
    evaluationId: string,
    attempt: number,
    error: InferenceError,
    traceparent: string,
    log: Record<string, unknown>,
  ): Promise<EvaluationOutcome> {
    const { metrics, logger, edge } = this.deps;
    metrics.errors.inc({ code: error.code });
    if (BACKPRESSURE.has(error.code)) return { outcome: "retry", reason: error.message };
    const posted = await edge.postEvaluationResult(
      {
        version: 1,
        evaluationId,
        status: "failed",
        attempt,
        error: { code: error.code, message: error.message, permanent: error.permanent },
      },
      traceparent,
    );
    logger.warn("evaluation failed", {
      ...log,
      code: error.code,
      permanent: error.permanent,
      error: error.message,
    });
    if (error.permanent && posted.ok) return { outcome: "ack" };
    const reason = posted.ok ? error.message : `${error.message}; ${posted.reason}`;
    return { outcome: "retry", reason };
  }
}
