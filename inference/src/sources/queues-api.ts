import { errorMessage } from "@common/logger";
import { z } from "zod";
import { retryAfterMs } from "../core/backoff";

/**
 * Client for the Cloudflare Queues HTTP pull API:
 *   POST {base}/accounts/{account}/queues/{queue}/messages/pull  { batch_size, visibility_timeout_ms }
 *   POST {base}/accounts/{account}/queues/{queue}/messages/ack   { acks: [{lease_id}], retries: [{lease_id, delay_seconds}] }
 * Both answer the API's envelope `{ success, errors, messages, result }`.
 */

const PulledMessageSchema = z.object({
  id: z.string(),
  body: z.string(),
  attempts: z.number().int().min(1),
  lease_id: z.string().min(1),
  timestamp_ms: z.number().optional(),
  metadata: z.record(z.string(), z.unknown()).nullish(),
});
export type PulledMessage = z.infer<typeof PulledMessageSchema>;

const EnvelopeSchema = z.object({
  success: z.boolean(),
  errors: z.array(z.object({ code: z.number().optional(), message: z.string() })).nullish(),
  result: z.unknown(),
});

const PullResultSchema = z.object({ messages: z.array(PulledMessageSchema).default([]) });

export interface Retry {
  lease_id: string;
  delay_seconds: number;
}

export class QueuesApiError extends Error {
  constructor(
    message: string,
    readonly status: number | null,
    /** Server-requested wait before the next call (Retry-After), when given. */
    readonly retryAfterMs: number | null,
  ) {
    super(message);
    this.name = "QueuesApiError";
  }
}

export interface QueuesApiOptions {
  apiBase: string;
  accountId: string;
  queueId: string;
  apiToken: string;
  /** Per call; the pull API answers at once (short polling). */
  timeoutMs?: number;
  fetch?: typeof fetch;
}

export class QueuesApi {
  private readonly fetch: typeof fetch;
  private readonly baseUrl: string;

  constructor(private readonly options: QueuesApiOptions) {
    this.fetch = options.fetch ?? fetch;
    const base = options.apiBase.replace(/\/+$/, "");
    this.baseUrl = `${base}/accounts/${encodeURIComponent(options.accountId)}/queues/${encodeURIComponent(options.queueId)}/messages`;
  }

  async pull(batchSize: number, visibilityTimeoutMs: number, signal?: AbortSignal): Promise<PulledMessage[]> {
    const result = await this.call(
      "pull",
      { batch_size: batchSize, visibility_timeout_ms: visibilityTimeoutMs },
      signal,
    );
    const parsed = PullResultSchema.safeParse(result ?? {});
    if (!parsed.success)
      throw new QueuesApiError(`unexpected pull result: ${parsed.error.message}`, 200, null);
    return parsed.data.messages;
  }

  async ack(acks: string[], retries: Retry[], signal?: AbortSignal): Promise<void> {
    await this.call("ack", { acks: acks.map((lease_id) => ({ lease_id })), retries }, signal);
  }

  private async call(operation: "pull" | "ack", body: unknown, signal?: AbortSignal): Promise<unknown> {
    const timeout = AbortSignal.timeout(this.options.timeoutMs ?? 30_000);
    let response: Response;
    try {
      response = await this.fetch(`${this.baseUrl}/${operation}`, {
        method: "POST",
        headers: { authorization: `Bearer ${this.options.apiToken}`, "content-type": "application/json" },
        body: JSON.stringify(body),
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      });
    } catch (error) {
      throw new QueuesApiError(`${operation} request failed: ${errorMessage(error)}`, null, null);
    }
    const text = await response.text();
    let envelope: z.infer<typeof EnvelopeSchema> | null = null;
    try {
      envelope = EnvelopeSchema.parse(JSON.parse(text));
    } catch {
      envelope = null;
    }
    if (!response.ok || envelope === null || !envelope.success) {
      const detail =
        envelope?.errors?.map((e) => `${e.code ?? ""} ${e.message}`.trim()).join("; ") || text.slice(0, 200);
      throw new QueuesApiError(
        `${operation} answered ${response.status}: ${detail}`,
        response.status,
        retryAfterMs(response.headers.get("retry-after")),
      );
    }
    return envelope.result;
  }
}

/**
 * A pulled body according to the content type it was sent with (`metadata["CF-Content-Type"]`).
 * The pull-consumer guide says `json` and `bytes` bodies arrive base64-encoded and `text` as plain
 * UTF-8, while its own example shows a plain `json` body; a `json` body is therefore read as
 * JSON text first and as base64 otherwise (a JSON object's base64 form is never valid JSON, so
 * the two cannot be confused). Producers here send objects as `json`. `v8` (structured-clone)
 * bodies cannot be read outside Workers.
 */
export function decodePulledBody(message: PulledMessage): unknown {
  const contentType = message.metadata?.["CF-Content-Type"];
  switch (contentType) {
    case undefined:
    case "json":
      return parsePlainOrBase64(message.body);
    case "text":
      return JSON.parse(message.body);
    case "bytes":
      return JSON.parse(fromBase64(message.body));
    default:
      throw new Error(`message content type ${String(contentType)} cannot be read by a pull consumer`);
  }
}

function parsePlainOrBase64(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    return JSON.parse(fromBase64(body));
  }
}

/** Strict RFC 4648 base64 (Buffer.from would skip characters outside the alphabet silently). */
function fromBase64(body: string): string {
  const trimmed = body.trim();
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(trimmed) || trimmed.length % 4 !== 0) {
    throw new Error("message body is neither JSON nor base64");
  }
  return Buffer.from(trimmed, "base64").toString("utf8");
}
