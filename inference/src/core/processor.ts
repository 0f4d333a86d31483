import type { DetectMessage, QueueMessage } from "@common/contracts/detect-message";
import type { DetectResult, ModelIdentity } from "@common/contracts/detect-result";
import type { ClaimedModel, JobClaim } from "@common/contracts/job-claim";
import type { ShadowResult } from "@common/contracts/shadow-result";
import { errorMessage } from "@common/logger";
import { type ErrorCode, InferenceError, toInferenceError } from "../errors";
import { type EvaluationEdge, Evaluator } from "../eval/evaluator";
import type { Logger } from "../log";
import type { JobOutcome, Metrics } from "../metrics";
import type { Detector } from "../model/detector";
import type { ModelRegistry } from "../model/registry";
import type { VersionLease } from "../model/version-cache";
import type { CallbackOutcome, ClaimOutcome, EdgeClient } from "./edge-client";
import { fetchImage, type ImageFetchOptions } from "./image-fetch";
import { childSpan, formatTraceparent } from "./traceparent";

/** What a job source does with the message: acknowledge it, or let it be delivered again. */
export type MessageOutcome = { outcome: "ack" } | { outcome: "retry"; reason: string };

export interface ProcessorDeps {
  /** The shipped models by name, and (`version`) owners' registry versions a claim names. */
  models: Pick<ModelRegistry, "get"> & Partial<Pick<ModelRegistry, "version">>;
  /** Evaluations and shadow runs need the rest of the client; without it they are not served. */
  edge: Pick<EdgeClient, "claim" | "postResult"> &
    Partial<Pick<EdgeClient, keyof EvaluationEdge | "postShadowResult">>;
  fetch: ImageFetchOptions;
  metrics: Metrics;
  logger: Logger;
}

/** Errors that say nothing about the job itself: the message simply comes back later. */
const BACKPRESSURE: ReadonlySet<ErrorCode> = new Set(["queue_full", "shutting_down"]);

/** The model a result names: a registry version by its name and number, a shipped model by its file. */
const identity = (detector: Detector, version?: ClaimedModel): ModelIdentity =>
  version
    ? {
        name: version.name,
        version: String(version.version),
        sha256: version.sha256,
        classes: detector.info.classNames,
      }
    : {
        name: detector.info.name,
        version: detector.info.version,
        sha256: detector.info.sha256,
        classes: detector.info.classNames,
      };

type ClaimedJob = Extract<JobClaim, { outcome: "claimed" }>;

/**
 * The one processing core behind both job sources: claim the job from the edge, fetch the image,
 * detect, report to the edge. The claim answers with the job as it is now (a freshly signed image
 * URL, its current parameters and model), which is what runs; the queued message only names it.
 * A message is acknowledged once the edge accepted a terminal result (success or permanent
 * failure) or said the job is already finished; everything else asks for redelivery.
 */
export class Processor {
  private active = 0;
  private idleWaiters: Array<() => void> = [];
  private readonly evaluator: Evaluator | null;

  constructor(private readonly deps: ProcessorDeps) {
    const { claimEvaluation, reportEvaluationProgress, postEvaluationResult } = deps.edge;
    this.evaluator =
      claimEvaluation && reportEvaluationProgress && postEvaluationResult
        ? new Evaluator({ ...deps, edge: deps.edge as EvaluationEdge })
        : null;
  }

  get inFlight(): number {
    return this.active;
  }

  /** Resolves once no message is being processed. */
  idle(): Promise<void> {
    if (this.active === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** One message of the `detect` queue: a job, or an evaluation (`../eval/evaluator.ts`). */
  async process(message: QueueMessage, attempt: number, source: string): Promise<MessageOutcome> {
    const { metrics } = this.deps;
    this.active++;
    metrics.inFlight.inc();
    try {
      if (message.kind === "evaluate") {
        if (this.evaluator === null) return { outcome: "retry", reason: "evaluations are not served here" };
        return await this.evaluator.process(message, attempt);
      }
      const { outcome, jobOutcome } = await this.run(message, attempt);
      metrics.jobs.inc({ source, outcome: jobOutcome });
      return outcome;
    } finally {
      this.active--;
      metrics.inFlight.dec();
      if (this.active === 0) for (const wake of this.idleWaiters.splice(0)) wake();
    }
  }

  private async run(
    message: DetectMessage,
    attempt: number,
  ): Promise<{ outcome: MessageOutcome; jobOutcome: JobOutcome }> {
    const { metrics, logger } = this.deps;
    const traceparent = formatTraceparent(childSpan(message.traceparent));
    const claimed = await this.claim(message.jobId, attempt, traceparent);
    if (!claimed.ok) {
      logger.warn("job claim failed", { jobId: message.jobId, attempt, traceparent, reason: claimed.reason });
      return { outcome: { outcome: "retry", reason: claimed.reason }, jobOutcome: "retry" };
    }
    if (claimed.claim.outcome === "finished") {
      logger.info("job already finished; message acknowledged", {
        jobId: message.jobId,
        attempt,
        traceparent,
      });
      return { outcome: { outcome: "ack" }, jobOutcome: "already_finished" };
    }
    // From here on the job as the edge has it now, not as it was queued.
    const { job } = claimed.claim;
    const log = {
      jobId: job.jobId,
      attempt,
      claimedAttempts: claimed.claim.attempts,
      model: job.model,
      traceparent,
    };
    let detector: Detector | undefined;
    let lease: VersionLease | undefined;
    try {
      ({ detector, lease } = await this.detectorFor(claimed.claim));
      const started = performance.now();
      const bytes = await fetchImage(job.image.url, job.image.sha256, this.deps.fetch);
      const fetchMs = performance.now() - started;
      metrics.observeStage("fetch", fetchMs);
      const [found] = await detector.detect([bytes], job.params);
      if (found === undefined) throw new Error("detector returned no result");
      metrics.observeDetection(found.timings);
      const callback = await this.report(
        {
          version: 1,
          jobId: job.jobId,
          status: "succeeded",
          attempt,
          model: identity(detector, claimed.claim.registryModel),
          image: { width: found.width, height: found.height },
          detections: found.detections,
          timings: { ...found.timings, fetchMs, totalMs: found.timings.totalMs + fetchMs },
        },
        traceparent,
      );
      if (!callback.ok) {
        logger.warn("result callback failed", { ...log, reason: callback.reason });
        return { outcome: { outcome: "retry", reason: callback.reason }, jobOutcome: "retry" };
      }
      logger.info("job succeeded", {
        ...log,
        detections: found.detections.length,
        resultOutcome: callback.outcome,
      });
      const { shadowModel } = claimed.claim;
      if (shadowModel) await this.shadow(job, bytes, shadowModel, traceparent);
      return { outcome: { outcome: "ack" }, jobOutcome: "succeeded" };
    } catch (thrown) {
      const error = toInferenceError(thrown);
      metrics.errors.inc({ code: error.code });
      if (BACKPRESSURE.has(error.code)) {
        return { outcome: { outcome: "retry", reason: error.message }, jobOutcome: "retry" };
      }
      const model = detector && identity(detector, claimed.claim.registryModel);
      return this.fail(job, attempt, error, model, traceparent, log);
    } finally {
      lease?.release();
    }
  }

  /** A shipped model by the job's name, or the owner's registry version its claim names (leased for this job only). */
  private async detectorFor(claim: ClaimedJob): Promise<{ detector: Detector; lease?: VersionLease }> {
    const { models } = this.deps;
    if (claim.registryModel === undefined) return { detector: models.get(claim.job.model) };
    if (models.version === undefined) {
      throw new InferenceError(
        "model_not_found",
        `registry model versions are not served here (${claim.job.model})`,
      );
    }
    const lease = await models.version(claim.registryModel);
    return { detector: lease.detector, lease };
  }

  /**
   * The job was picked to also run a shadow candidate: run it on the same bytes with the job's
   * parameters and report it apart. After the job's own result, and never able to change it: any
   * failure is reported (or logged) and the job's message is acknowledged all the same.
   */
  private async shadow(job: DetectMessage, bytes: Uint8Array, model: ClaimedModel, traceparent: string) {
    const { models, edge, logger } = this.deps;
    if (edge.postShadowResult === undefined) return;
    let result: ShadowResult;
    let lease: VersionLease | undefined;
    try {
      if (models.version === undefined) {
        throw new InferenceError(
          "model_not_found",
          `registry model versions are not served here (${model.name})`,
        );
      }
      lease = await models.version(model);
      const started = performance.now();
      const [found] = await lease.detector.detect([bytes], job.params);
      if (found === undefined) throw new Error("detector returned no result");
      result = {
        version: 1,
        jobId: job.jobId,
        status: "succeeded",
        model: identity(lease.detector, model),
        detections: found.detections,
        runMs: performance.now() - started,
      };
    } catch (thrown) {
      const error = toInferenceError(thrown);
      result = {
        version: 1,
        jobId: job.jobId,
        status: "failed",
        error: { code: error.code, message: error.message, permanent: error.permanent },
      };
    } finally {
      lease?.release();
    }
    const posted = await edge.postShadowResult(result, traceparent).catch((error: unknown) => ({
      ok: false as const,
      reason: errorMessage(error),
    }));
    if (!posted.ok) logger.warn("shadow result not reported", { jobId: job.jobId, reason: posted.reason });
  }

  private async fail(
    job: DetectMessage,
    attempt: number,
    error: InferenceError,
    model: ModelIdentity | undefined,
    traceparent: string,
    log: Record<string, unknown>,
  ): Promise<{ outcome: MessageOutcome; jobOutcome: JobOutcome }> {
    const { logger } = this.deps;
    const callback = await this.report(
      {
        version: 1,
        jobId: job.jobId,
        status: "failed",
        attempt,
        error: { code: error.code, message: error.message, permanent: error.permanent },
        ...(model === undefined ? {} : { model }),
      },
      traceparent,
    );
    logger.warn("job failed", { ...log, code: error.code, permanent: error.permanent, error: error.message });
    // A permanent failure the edge has recorded is finished; retrying could never succeed.
    if (error.permanent && callback.ok)
      return { outcome: { outcome: "ack" }, jobOutcome: "failed_permanent" };
    const reason = callback.ok ? error.message : `${error.message}; ${callback.reason}`;
    return { outcome: { outcome: "retry", reason }, jobOutcome: "failed_retryable" };
  }

  private async claim(jobId: string, attempt: number, traceparent: string): Promise<ClaimOutcome> {
    const started = performance.now();
    try {
      return await this.deps.edge.claim(jobId, attempt, traceparent);
    } finally {
      this.deps.metrics.observeStage("claim", performance.now() - started);
    }
  }

  private async report(result: DetectResult, traceparent: string): Promise<CallbackOutcome> {
    const started = performance.now();
    try {
      return await this.deps.edge.postResult(result, traceparent);
    } finally {
      this.deps.metrics.observeStage("callback", performance.now() - started);
    }
  }
}
