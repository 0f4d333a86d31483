import { type SharedErrorCode, sharedStatuses } from "@common/errors";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";

/**
 * The closed set of error codes the API answers with. Clients branch on `code`, never on the
 * message, so a code, once published, keeps its meaning and status.
 *
 * The codes that name a failure the inference service names too (a damaged image, a request that
 * fails its schema, ...) come from the shared vocabulary, `common/errors.ts`, status included;
 * the API-only codes are added on top and may not reuse a shared name.
 */
const sharedApiStatus = sharedStatuses(
  "bad_request",
  "validation_failed",
  "malformed_json",
  "empty_body",
  "image_corrupt",
  "unauthorized",
  "not_found",
  "payload_too_large",
  "unsupported_image_type",
  "unsupported_transfer_syntax",
  "image_too_many_pixels",
  "internal",
);

const apiOnlyStatus = {
  unknown_model: 400,
  too_many_images: 400,
  weak_password: 400,
  body_incomplete: 400,
  invalid_webhook_url: 400,
  forbidden: 403,
  insufficient_scope: 403,
  account_disabled: 403,
  signature_invalid: 403,
  signature_expired: 403,
  method_not_allowed: 405,
  request_timeout: 408,
  image_header_too_large: 422,
  conflict: 409,
  idempotency_key_reused: 409,
  idempotency_request_in_progress: 409,
  job_not_finished: 409,
  length_required: 411,
  precondition_failed: 412,
  precondition_required: 428,
  report_not_ready: 409,
  // A report is issued over reviewed indications only: some are still pending.
  review_pending: 409,
  review_limit_reached: 409,
  email_taken: 409,
  webhook_limit_reached: 409,
  unsupported_media_type: 415,
  image_polyglot: 415,
  rate_limited: 429,
  quota_exceeded: 429,
  service_unavailable: 503,
  database_unavailable: 503,
  storage_unavailable: 503,
  queue_unavailable: 503,
  backlog_full: 503,
  // Dataset imports: the first problem found in an archive, named for the client to act on.
  archive_invalid: 400,
  archive_too_large: 413,
  archive_bomb: 422,
  archive_unsafe_path: 422,
  dataset_duplicate: 422,
  dataset_label_invalid: 422,
  dataset_class_unknown: 422,
  dataset_image_missing: 422,
  dataset_empty: 422,
  // Training runs.
  training_finished: 409,
  // Model versions: an upload that fails verification, and a promotion its gate refuses.
  model_too_large: 413,
  model_checksum_mismatch: 422,
  model_invalid: 422,
  promotion_gate: 409,
} as const satisfies Record<string, ContentfulStatusCode> & { [K in SharedErrorCode]?: never };

export const errorStatus = { ...sharedApiStatus, ...apiOnlyStatus } satisfies Record<
  string,
  ContentfulStatusCode
>;

export type ErrorCode = keyof typeof errorStatus;
export const errorCodes = Object.keys(errorStatus) as [ErrorCode, ...ErrorCode[]];

export type ErrorBody = {
  error: { code: ErrorCode; message: string; requestId: string; details?: unknown };
};

/** The one error type handlers throw; `onError` renders it as the standard body. */
export class ApiError extends HTTPException {
  readonly code: ErrorCode;
  readonly details?: unknown;
  readonly headers?: Record<string, string>;

  constructor(
    code: ErrorCode,
    message: string,
    options: { details?: unknown; headers?: Record<string, string>; cause?: unknown } = {},
  ) {
    super(errorStatus[code], { message, cause: options.cause });
    this.code = code;
    this.details = options.details;
    this.headers = options.headers;
  }
}

/** Retry-After of a refused enqueue: the Queues service is briefly unavailable, not overloaded by us. */
export const QUEUE_RETRY_AFTER_SECONDS = 5;

/** 503 for a send the queue refused; the caller has undone what it created, so nothing is half-accepted. */
export const queueUnavailable = (what: string, cause: unknown) =>
  new ApiError("queue_unavailable", `${what} could not be queued; retry shortly`, {
    cause,
    headers: { "Retry-After": String(QUEUE_RETRY_AFTER_SECONDS) },
  });
