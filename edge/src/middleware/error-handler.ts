import type { Context, ErrorHandler, NotFoundHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { AppEnv } from "../env";
import { ApiError, type ErrorBody, type ErrorCode, errorStatus } from "../errors";
import { createLogger, errorFields } from "../logger";

const codeByStatus = new Map<number, ErrorCode>(
  Object.entries(errorStatus)
    .filter(([code]) => code !== "validation_failed")
    .map(([code, status]) => [status, code as ErrorCode]),
);

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
export const errorHandler: ErrorHandler<AppEnv> = (error, c) => {
  if (error instanceof ApiError) return render(c, error);
  if (error instanceof HTTPException) {
    // Errors raised by Hono's own middleware (body limit, CORS, ...) keep their status.
    const code = codeByStatus.get(error.status) ?? (error.status >= 500 ? "internal" : "bad_request");
    return render(c, new ApiError(code, error.message || code.replaceAll("_", " ")));
  }
  const logger = c.var.logger ?? createLogger();
  logger.error("unhandled error", { ...errorFields(error), path: c.req.path });
  return render(c, new ApiError("internal", "Internal server error"));
};

export const notFoundHandler: NotFoundHandler<AppEnv> = (c) =>
  render(c, new ApiError("not_found", `No route for ${c.req.method} ${c.req.path}`));
