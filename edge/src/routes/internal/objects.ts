import { ApiError } from "@edge/errors";
import { checkObjectUrlSignature } from "@edge/images/signed-url";
import { createRouter } from "@edge/openapi";
import { createRoute, z } from "@hono/zod-openapi";

const route = createRoute({
  method: "get",
  path: "/objects/{key}",
  hide: true,
  request: {
    params: z.object({ key: z.string().min(1).max(1024) }),
    query: z.object({ exp: z.string().optional(), sig: z.string().optional() }),
  },
  responses: { 200: { description: "The object's bytes" } },
});

/**
 * Serves an R2 object to whoever holds a URL signed by `signObjectUrl` when R2's S3 API is not
 * configured: the signature over key and expiry is the whole credential, so the reader needs no
 * bucket access and the route reads no database row. The body is R2's stream handed to the
 * runtime as is (never buffered in the isolate); length and ETag are R2's metadata.
 */
export const readSignedObject = createRouter().openapi(route, async (c) => {
  const { key } = c.req.valid("param");
  const { exp, sig } = c.req.valid("query");
  const check = await checkObjectUrlSignature(c.var.config, key, exp, sig);
  if (check === "invalid") throw new ApiError("signature_invalid", "The URL signature is missing or wrong");
  if (check === "expired") throw new ApiError("signature_expired", "The signed URL has expired");
  const object = await c.env.IMAGES.get(key);
  if (!object) throw new ApiError("not_found", "Object not found");
  return c.body(object.body, 200, {
    "Content-Type": object.httpMetadata?.contentType ?? "application/octet-stream",
    "Content-Length": String(object.size),
    ETag: object.httpEtag,
    "Last-Modified": object.uploaded.toUTCString(),
    // Bytes behind a credential-bearing URL must not land in shared caches.
    "Cache-Control": "private, no-store",
  });
});
