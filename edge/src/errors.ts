import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";

/**
 * The closed set of error codes the API answers with. Clients branch on `code`, never on the
 * message, so a code, once published, keeps its meaning and status.
 */
export const errorStatus = {
  bad_request: 400,
  validation_failed: 400,
  malformed_json: 400,
  empty_body: 400,
  image_corrupt: 400,
  unknown_model: 400,
  too_many_images: 400,
  weak_password: 400,
  invalid_webhook_url: 400,
  unauthorized: 401,
  forbidden: 403,
  insufficient_scope: 403,
  account_disabled: 403,
  signature_invalid: 403,
  signature_expired: 403,
  not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  idempotency_key_reused: 409,
  idempotency_request_in_progress: 409,
  job_not_finished: 409,
  length_required: 411,
  email_taken: 409,
  webhook_limit_reached: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  unsupported_image_type: 415,
  image_polyglot: 415,
  image_too_many_pixels: 422,
  rate_limited: 429,
  quota_exceeded: 429,
  internal: 500,
  service_unavailable: 503,
  database_unavailable: 503,
  storage_unavailable: 503,
  queue_unavailable: 503,
  backlog_full: 503,
} as const satisfies Record<string, ContentfulStatusCode>;

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
