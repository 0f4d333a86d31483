import { createLogger, errorFields } from "@common/logger";
import type { Context, ErrorHandler, NotFoundHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import {
  databaseUnavailable,
  integrityViolation,
  invalidValue,
  isDatabaseUnavailable,
  isInvalidValue,
} from "../db-errors";
import type { AppEnv } from "../env";
import { ApiError, type ErrorBody, type ErrorCode } from "../errors";
import { requestBodyOf } from "./request-body";

/** Generic codes for errors raised by Hono itself (validators, body limit, CORS, ...). */
const codeByStatus: Partial<Record<number, ErrorCode>> = {
  400: "bad_request",
  401: "unauthorized",
  403: "forbidden",
  404: "not_found",
  405: "method_not_allowed",
  409: "conflict",
  413: "payload_too_large",
  415: "unsupported_media_type",
  429: "rate_limited",
  503: "service_unavailable",
};

/** Hono's JSON validator reports unparsable bodies with this message. */
const MALFORMED_JSON = "Malformed JSON in request body";

function render(c: Context<AppEnv>, error: ApiError): Response {
  const body: ErrorBody = {
    error: {
      code: error.code,
      message: error.message,
      requestId: c.var.requestId ?? "unknown",
      ...(error.details === undefined ? {} : { details: error.details }),
    },
  };
  return c.json(body, error.status as ContentfulStatusCode, error.headers);
}

/** Renders every failure as the one error body; unexpected errors are logged, never leaked. */
export const errorHandler: ErrorHandler<AppEnv> = async (error, c) => {
  // A refused body is the cause, whatever a reader (a JSON validator, a form parser) made of it.
  const bodyFailure = requestBodyOf(c)?.failure;
  if (bodyFailure) return render(c, bodyFailure);
  if (error instanceof ApiError) return render(c, error);
  if (error instanceof HTTPException) {
    // Errors raised by Hono's own middleware (body limit, CORS, ...) keep their status.
    const code =
      error.message === MALFORMED_JSON
        ? "malformed_json"
        : (codeByStatus[error.status] ?? (error.status >= 500 ? "internal" : "bad_request"));
    return render(c, new ApiError(code, error.message || code.replaceAll("_", " ")));
  }
  const logger = c.var.logger ?? createLogger();
  if (isDatabaseUnavailable(error)) {
    logger.error("database unavailable", { ...errorFields(error), path: c.req.path });
    return render(c, databaseUnavailable());
  }
  if (isInvalidValue(error)) {
    logger.warn("value refused by the database", { ...errorFields(error), path: c.req.path });
    return render(c, invalidValue(error));
  }
  const violation = integrityViolation(error);
  if (violation) {
    logger.warn("value refused by a constraint", { ...errorFields(error), path: c.req.path });
    return render(c, violation);
  }
  logger.error("unhandled error", { ...errorFields(error), path: c.req.path });
  return render(c, new ApiError("internal", "Internal server error"));
};

/** 404 for a path no route has; 405 with `Allow` for a path that exists under other methods. */
export function notFoundHandler(allowedFor: (path: string) => string[]): NotFoundHandler<AppEnv> {
  return async (c) => {
    const allowed = allowedFor(c.req.path);
    if (allowed.length > 0) {
      return render(
        c,
        new ApiError("method_not_allowed", `${c.req.method} is not allowed on ${c.req.path}`, {
          headers: { Allow: allowed.join(", ") },
          details: { allowed },
        }),
      );
    }
    return render(c, new ApiError("not_found", `No route for ${c.req.method} ${c.req.path}`));
  };
}
