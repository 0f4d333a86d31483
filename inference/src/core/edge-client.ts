import { type DetectResult, DetectResultSchema } from "@common/contracts/detect-result";
import { backoffDelay, retryAfterMs, sleep } from "./backoff";

export interface EdgeClientOptions {
  edgeUrl: string;
  edgeToken: string;
  timeoutMs: number;
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  fetch?: typeof fetch;
}

export type CallbackOutcome =
  | { ok: true; status: number }
  | { ok: false; status: number | null; reason: string };

/** Statuses worth trying again: the edge may be restarting, overloaded or rate limiting. */
const retryable = (status: number) => status === 408 || status === 429 || status >= 500;

/** Posts result callbacks to the edge's internal API, retrying transient failures with backoff. */
export class EdgeClient {
  private readonly fetch: typeof fetch;

  constructor(private readonly options: EdgeClientOptions) {
    this.fetch = options.fetch ?? fetch;
  }

  async postResult(result: DetectResult, traceparent: string): Promise<CallbackOutcome> {
    const body = JSON.stringify(DetectResultSchema.parse(result));
    const url = new URL(
      `internal/v1/jobs/${encodeURIComponent(result.jobId)}/result`,
      this.options.edgeUrl.endsWith("/") ? this.options.edgeUrl : `${this.options.edgeUrl}/`,
    );
    let last: CallbackOutcome = { ok: false, status: null, reason: "not attempted" };
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
            authorization: `Bearer ${this.options.edgeToken}`,
            "content-type": "application/json",
            traceparent,
          },
          body,
          signal: AbortSignal.timeout(this.options.timeoutMs),
        });
        // Drain the body so the connection can be reused.
        await response.arrayBuffer().catch(() => undefined);
        if (response.ok) return { ok: true, status: response.status };
        last = { ok: false, status: response.status, reason: `edge answered ${response.status}` };
        askedDelayMs = retryAfterMs(response.headers.get("retry-after"));
        if (!retryable(response.status)) return last;
      } catch (error) {
        last = { ok: false, status: null, reason: `edge unreachable: ${(error as Error).message}` };
      }
    }
    return last;
  }
}
