import { createHash, timingSafeEqual } from "node:crypto";
import { createMiddleware } from "hono/factory";
import { InferenceError } from "../errors";

const digest = (text: string) => createHash("sha256").update(text).digest();

/**
 * Requires `Authorization: Bearer <token>`. Without a configured token the protected routes stay
 * closed rather than open.
 *
 * @example app.use("/v1/detect", serviceAuth(config.API_TOKEN))
 */
export function serviceAuth(token: string | undefined) {
  const expected = token === undefined ? null : digest(token);
  return createMiddleware(async function serviceAuthMiddleware(c, next) {
    const header = c.req.header("authorization") ?? "";
    const match = /^Bearer\s+(.+)$/i.exec(header);
    // Hashing both sides gives equal lengths, so the comparison time says nothing about the token.
    if (expected === null || match === null || !timingSafeEqual(digest(match[1] as string), expected)) {
      c.header("WWW-Authenticate", 'Bearer realm="inference"');
      throw new InferenceError(
        "unauthorized",
        expected === null
          ? "INFERENCE_API_TOKEN is not set on this service"
          : "missing or invalid bearer token",
      );
    }
    await next();
  });
}
