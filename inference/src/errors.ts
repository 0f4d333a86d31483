import { type SharedErrorCode, sharedErrors } from "@common/errors";
import { errorMessage } from "@common/logger";

/**
 * Stable error codes of the inference service: exactly the vocabulary it shares with the edge
 * (`common/errors.ts`), each with its HTTP status and whether it is `permanent` for a job (retrying
 * the same message could never succeed: an undecodable image never will; a full queue soon may).
 */
export const ERROR_CODES = sharedErrors;

export type ErrorCode = SharedErrorCode;

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
  const message = errorMessage(error);
  return new InferenceError("internal", message, { cause: error });
}
