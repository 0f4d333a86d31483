import {
  type DetectResult,
  DetectResultSchema,
  ResultAnswerSchema,
  type ResultOutcome,
} from "@common/contracts/detect-result";
import {
  type EvaluationClaim,
  type EvaluationClaimRequest,
  EvaluationClaimSchema,
  type EvaluationProgress,
  type EvaluationProgressAnswer,
  EvaluationProgressAnswerSchema,
  type EvaluationResult,
  type EvaluationResultAnswer,
  EvaluationResultAnswerSchema,
  EvaluationResultSchema,
} from "@common/contracts/evaluation";
import { type JobClaim, type JobClaimRequest, JobClaimSchema } from "@common/contracts/job-claim";
import {
  type ShadowResult,
  type ShadowResultAnswer,
  ShadowResultAnswerSchema,
  ShadowResultSchema,
} from "@common/contracts/shadow-result";
import { errorMessage } from "@common/logger";
import type { z } from "zod";
import { backoffDelay, retryAfterMs, sleep } from "./backoff";

export interface EdgeClientOptions {
  edgeUrl: string;
  callbackToken: string;
  timeoutMs: number;
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  fetch?: typeof fetch;
}

/** A call the edge never accepted: `status` is its last answer, null when it was unreachable. */
export type EdgeFailure = { ok: false; status: number | null; reason: string };

/** `outcome`: what the edge did with the result (null when its 2xx answer did not say). */
export type CallbackOutcome = { ok: true; status: number; outcome: ResultOutcome | null } | EdgeFailure;

export type ClaimOutcome = { ok: true; claim: JobClaim } | EdgeFailure;

/** What a 2xx answer meant: a value, or a final failure (an answer that makes no sense). */
type Answer<T> = { ok: true; value: T } | EdgeFailure;

/** A call whose 2xx answer is a body of a known shape. */
export type Answered<T> = { ok: true; value: T } | EdgeFailure;

/** Statuses worth trying again: the edge may be restarting, overloaded or rate limiting. */
const retryable = (status: number) => status === 408 || status === 429 || status >= 500;

/**
 * Calls the edge's internal API (job claim, result callback), retrying transient failures with
 * backoff and honouring the edge's Retry-After.
 */
export class EdgeClient {
  private readonly fetch: typeof fetch;

  constructor(private readonly options: EdgeClientOptions) {
    this.fetch = options.fetch ?? fetch;
  }

  /**
   * Claims a job before its image is fetched: the edge answers with the job as it is now (fresh
   * image URL, current parameters) or says it is already finished. An answer that is not a
   * `JobClaim` for this job is a failure, not asked again.
   */
  async claim(jobId: string, attempt: number, traceparent: string): Promise<ClaimOutcome> {
    const request: JobClaimRequest = { version: 1, attempt };
    const answer = await this.postJson(
      `internal/v1/jobs/${encodeURIComponent(jobId)}/claim`,
      request,
      traceparent,
      async (response): Promise<Answer<JobClaim>> => {
        // A body that breaks off throws, and is tried again like any network failure.
        const text = await response.text();
        const invalid = (why: string): EdgeFailure => ({
          ok: false,
          status: response.status,
          reason: `edge answered an invalid claim: ${why}`,
        });
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          return invalid("not JSON");
        }
        const parsed = JobClaimSchema.safeParse(json);
        if (!parsed.success) return invalid(parsed.error.issues.map((issue) => issue.message).join("; "));
        if (parsed.data.outcome === "claimed" && parsed.data.job.jobId !== jobId) {
          return invalid(`it carries job ${parsed.data.job.jobId}`);
        }
        return { ok: true, value: parsed.data };
      },
    );
    return answer.ok ? { ok: true, claim: answer.value } : answer;
  }

  async postResult(result: DetectResult, traceparent: string): Promise<CallbackOutcome> {
    const answer = await this.postJson(
      `internal/v1/jobs/${encodeURIComponent(result.jobId)}/result`,
      DetectResultSchema.parse(result),
      traceparent,
      async (response) => {
        // The edge has the result either way; its answer only says what it did with it.
        const parsed = ResultAnswerSchema.safeParse(await response.json().catch(() => null));
        return {
          ok: true,
          value: { status: response.status, outcome: parsed.success ? parsed.data.outcome : null },
        };
      },
    );
    return answer.ok ? { ok: true, ...answer.value } : answer;
  }

  /** Claims an evaluation: its items and both models with fresh URLs, or `finished` / `busy`. */
  claimEvaluation(id: string, attempt: number, traceparent: string): Promise<Answered<EvaluationClaim>> {
    const request: EvaluationClaimRequest = { version: 1, attempt };
    return this.postJson(
      `internal/v1/evaluations/${encodeURIComponent(id)}/claim`,
      request,
      traceparent,
      this.parsed(EvaluationClaimSchema, "evaluation claim"),
    );
  }

  /** The running attempt's heartbeat; `stop` means it is no longer the current attempt. */
  reportEvaluationProgress(
    id: string,
    progress: EvaluationProgress,
    traceparent: string,
  ): Promise<Answered<EvaluationProgressAnswer>> {
    return this.postJson(
      `internal/v1/evaluations/${encodeURIComponent(id)}/progress`,
      progress,
      traceparent,
      this.parsed(EvaluationProgressAnswerSchema, "progress answer"),
    );
  }

  postEvaluationResult(
    result: EvaluationResult,
    traceparent: string,
  ): Promise<Answered<EvaluationResultAnswer>> {
    return this.postJson(
      `internal/v1/evaluations/${encodeURIComponent(result.evaluationId)}/result`,
      EvaluationResultSchema.parse(result),
      traceparent,
      this.parsed(EvaluationResultAnswerSchema, "evaluation result answer"),
    );
  }

  /** The shadow model's detections on a job's image, sent after the job's own result. */
  postShadowResult(result: ShadowResult, traceparent: string): Promise<Answered<ShadowResultAnswer>> {
    return this.postJson(
      `internal/v1/jobs/${encodeURIComponent(result.jobId)}/shadow-result`,
      ShadowResultSchema.parse(result),
      traceparent,
      this.parsed(ShadowResultAnswerSchema, "shadow result answer"),
    );
  }

  /** Reads a 2xx body with `schema`; one that does not parse is a final failure, not asked again. */
  private parsed<T>(schema: z.ZodType<T>, what: string) {
    return async (response: Response): Promise<Answer<T>> => {
      const parsed = schema.safeParse(await response.json().catch(() => null));
      if (parsed.success) return { ok: true, value: parsed.data };
      return { ok: false, status: response.status, reason: `edge answered an invalid ${what}` };
    };
  }

  /**
   * POSTs `payload` as JSON to `path` under the edge URL with the callback token, up to `attempts`
   * times: network errors, 408, 429 and 5xx are tried again after a backoff (or the edge's own
   * Retry-After, capped like any delay); any other non-2xx is final. A 2xx is handed to `accept`.
   */
  private async postJson<T>(
    path: string,
    payload: unknown,
    traceparent: string,
    accept: (response: Response) => Promise<Answer<T>>,
  ): Promise<Answer<T>> {
    const body = JSON.stringify(payload);
    const url = new URL(
      path,
      this.options.edgeUrl.endsWith("/") ? this.options.edgeUrl : `${this.options.edgeUrl}/`,
    );
    let last: EdgeFailure = { ok: false, status: null, reason: "not attempted" };
    /** The edge's own Retry-After (database saturated, rate limited), capped like any delay. */
    let askedDelayMs: number | null = null;
    for (let attempt = 0; attempt < this.options.attempts; attempt++) {
      if (attempt > 0) {
        const backoff = backoffDelay(attempt, this.options.baseDelayMs, this.options.maxDelayMs);
        await sleep(askedDelayMs === null ? backoff : Math.min(askedDelayMs, this.options.maxDelayMs));
      }
      askedDelayMs = null;
      try {
        const response = await this.fetch(url, {
          method: "POST",
          headers: {
            authorization: `Bearer ${this.options.callbackToken}`,
            "content-type": "application/json",
            traceparent,
          },
          body,
          signal: AbortSignal.timeout(this.options.timeoutMs),
        });
        if (response.ok) return await accept(response);
        // Drain the body so the connection can be reused.
        await response.arrayBuffer().catch(() => undefined);
        last = { ok: false, status: response.status, reason: `edge answered ${response.status}` };
        askedDelayMs = retryAfterMs(response.headers.get("retry-after"));
        if (!retryable(response.status)) return last;
      } catch (error) {
        last = { ok: false, status: null, reason: `edge unreachable: ${errorMessage(error)}` };
      }
    }
    return last;
  }
}
