import type { AppEnv } from "@edge/env";
import { ApiError } from "@edge/errors";
import { createMiddleware } from "hono/factory";

const encoder = new TextEncoder();

/**
 * Compares two secrets in time independent of where they differ: both are hashed first, so
 * the comparison always runs over 32 bytes whatever the lengths.
 */
async function secretsEqual(a: string, b: string): Promise<boolean> {
  const [x, y] = await Promise.all([
    crypto.subtle.digest("SHA-256", encoder.encode(a)),
    crypto.subtle.digest("SHA-256", encoder.encode(b)),
  ]);
  const left = new Uint8Array(x);
  const right = new Uint8Array(y);
  let difference = 0;
  for (let i = 0; i < left.length; i++) difference |= (left[i] as number) ^ (right[i] as number);
  return difference === 0;
}

/** The bearer credentials of `/internal/v1/*`, each named for the calls it protects. */
export type ServiceCredential = "INFERENCE_CALLBACK_TOKEN" | "OPERATIONS_TOKEN" | "TRAINER_CALLBACK_TOKEN";

/**
 * Admits a caller presenting `Authorization: Bearer <credential>`: the inference service's
 * callback token (claim and result), or the read-only operations token (backlog and metrics).
 * Each route accepts exactly one of them, so neither holder can use the other's calls.
 *
 * @example router.use("/jobs/*", serviceAuth("INFERENCE_CALLBACK_TOKEN"))
 */
export function serviceAuth(credential: ServiceCredential) {
  return createMiddleware<AppEnv>(async function serviceAuthMiddleware(c, next) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(c.req.header("Authorization") ?? "");
    // An optional credential that is not configured admits nobody.
    const expected = c.var.config[credential];
    if (!match?.[1] || expected === undefined || !(await secretsEqual(match[1], expected))) {
      throw new ApiError("unauthorized", "A valid service credential is required", {
        headers: { "WWW-Authenticate": 'Bearer realm="defect-detection-internal"' },
      });
    }
    await next();
  });
}
