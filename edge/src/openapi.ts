import type { Hook } from "@hono/zod-openapi";
import { OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "./env";
import { ApiError, errorCodes } from "./errors";

export const ErrorBodySchema = z
  .object({
    error: z.object({
      code: z.enum(errorCodes).openapi({ example: "not_found" }),
      message: z.string().openapi({ example: "Image not found" }),
      requestId: z.string().openapi({ example: "3f0b8c9e-6d0a-4f4e-9d55-2f6c1b1e8a10" }),
      details: z.unknown().optional(),
    }),
  })
  .openapi("Error");

/** An OpenAPI response entry carrying the standard error body. */
export function errorResponse(description: string) {
  return { description, content: { "application/json": { schema: ErrorBodySchema } } };
}

/** Turns any request-validation failure into the standard `validation_failed` error. */
export const defaultHook: Hook<unknown, AppEnv, string, unknown> = (result) => {
  if (result.success) return;
  const issues = result.error.issues.map((issue) => ({
    path: issue.path.join("."),
    message: issue.message,
  }));
  const first = issues[0];
  const summary = first ? `${first.path || "request"}: ${first.message}` : "request is invalid";
  throw new ApiError("validation_failed", `Invalid ${result.target}: ${summary}`, {
    details: { target: result.target, issues },
  });
};

/** A router whose route definitions validate input and feed the OpenAPI document. */
export function createRouter() {
  return new OpenAPIHono<AppEnv>({ defaultHook });
}
