import { SharedErrorCodeSchema } from "@common/errors";
import { errorFields } from "@common/logger";
import { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { type ErrorCode, InferenceError } from "../errors";
import type { Logger } from "../log";

/** The one error body of the service, as documented in its OpenAPI document. */
export const ErrorBodySchema = z.object({
  error: z.object({ code: SharedErrorCodeSchema, message: z.string(), requestId: z.string() }),
});

/** Hono's JSON validator reports unparsable bodies with this message (as the edge maps it). */
const MALFORMED_JSON = "Malformed JSON in request body";

/** The one error body of the service. */
export function errorBody(c: Context, code: ErrorCode, message: string) {
  return { error: { code, message, requestId: c.get("requestId") as string } };
}

/** Any error thrown by a route as the service's error (unknown ones logged and hidden). */
export function toHttpError(c: Context, error: unknown, logger: Logger): InferenceError {
  let failure: InferenceError;
  if (error instanceof InferenceError) {
    failure = error;
  } else if (error instanceof HTTPException && error.status === 413) {
    failure = new InferenceError(
      "payload_too_large",
      "request body is larger than INFERENCE_MAX_IMAGE_BYTES",
    );
  } else if (error instanceof HTTPException && error.message === MALFORMED_JSON) {
    failure = new InferenceError("malformed_json", error.message);
  } else if (error instanceof HTTPException && error.status < 500) {
    failure = new InferenceError("bad_request", error.message || "bad request");
  } else {
    logger.error("unhandled error", { path: c.req.path, ...errorFields(error) });
    failure = new InferenceError("internal", "internal error");
  }
  return failure;
}

export function renderError(c: Context, failure: InferenceError): Response {
  return c.json(errorBody(c, failure.code, failure.message), failure.status as ContentfulStatusCode);
}
