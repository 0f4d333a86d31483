/**
 * Stable error codes of the inference service. `permanent` tells a job source whether retrying the
 * same message could ever succeed (an undecodable image never will; a full queue soon may).
 */
export const ERROR_CODES = {
  invalid_request: { status: 400, permanent: true },
  unauthorized: { status: 401, permanent: true },
  not_found: { status: 404, permanent: true },
  image_undecodable: { status: 422, permanent: true },
  image_unsupported: { status: 415, permanent: true },
  image_too_large: { status: 413, permanent: true },
  image_not_found: { status: 422, permanent: true },
  image_fetch_failed: { status: 502, permanent: false },
  image_checksum_mismatch: { status: 502, permanent: false },
  model_not_found: { status: 404, permanent: true },
  model_layout_unknown: { status: 500, permanent: true },
  model_load_failed: { status: 500, permanent: true },
  queue_full: { status: 503, permanent: false },
  shutting_down: { status: 503, permanent: false },
  not_configured: { status: 503, permanent: false },
  inference_failed: { status: 500, permanent: false },
  callback_failed: { status: 502, permanent: false },
  internal: { status: 500, permanent: false },
} as const satisfies Record<string, { status: number; permanent: boolean }>;

export type ErrorCode = keyof typeof ERROR_CODES;

export class InferenceError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "InferenceError";
    this.code = code;
  }

  get permanent(): boolean {
    return ERROR_CODES[this.code].permanent;
  }

  get status(): number {
    return ERROR_CODES[this.code].status;
  }
}

/** Any thrown value as an InferenceError; unknown failures are `internal` and retryable. */
export function toInferenceError(error: unknown): InferenceError {
  if (error instanceof InferenceError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new InferenceError("internal", message, { cause: error });
}
