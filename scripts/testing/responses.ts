/**
 * Reading a response in a test is one line, and always goes through a schema: the route's own
 * response schema, the edge's one error body, or, for a body no route describes (a third-party
 * format, a stand-in's answer), a schema of what the test relies on. A cast would let a renamed
 * field pass; a parse fails, naming the field.
 *
 * @example
 * const job = await readBody(response, JobSchema);
 * const error = await expectError(response, 404, "not_found");
 */
import type { ErrorCode } from "@edge/errors";
import { ErrorBodySchema } from "@edge/openapi";
import { z } from "zod";

export type ApiErrorBody = z.infer<typeof ErrorBodySchema>;

/** Parses a JSON body with `schema`; throws with the status, the issues and the body text if it does not match. */
export async function readBody<S extends z.ZodType>(response: Response, schema: S): Promise<z.output<S>> {
  const text = await response.text();
  return parseBody(text, schema, `${response.status} ${response.url}`.trim());
}

/** As `readBody`, for a JSON body already read as text (a raw HTTP exchange, a log line, ...). */
export function parseBody<S extends z.ZodType>(text: string, schema: S, origin = "body"): z.output<S> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error(`${origin}: not JSON\n${text.slice(0, 2000)}`);
  }
  const result = schema.safeParse(json);
  if (!result.success) {
    throw new Error(
      `${origin}: body does not match its schema\n${z.prettifyError(result.error)}\n${text.slice(0, 2000)}`,
    );
  }
  return result.data;
}

/** The `error` of the edge's standard error body. */
export async function readError(response: Response): Promise<ApiErrorBody["error"]> {
  return (await readBody(response, ErrorBodySchema)).error;
}

/**
 * Asserts the status and error code of a refusal in one step; returns the error for further
 * checks. It throws rather than calling `expect`, so that this module stays free of `bun:test`
 * and can sit in a test Worker's import graph.
 */
export async function expectError(
  response: Response,
  status: number,
  code: ErrorCode,
): Promise<ApiErrorBody["error"]> {
  const error = await readError(response);
  if (response.status !== status || error.code !== code) {
    throw new Error(
      `expected ${status} ${code}, got ${response.status} ${error.code} (${error.message}) from ${response.url}`,
    );
  }
  return error;
}
