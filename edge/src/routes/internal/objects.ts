import { ApiError } from "@edge/errors";
import { checkImageUrlSignature } from "@edge/images/signed-url";
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
 * Serves an R2 object to whoever holds a URL signed by `signImageUrl`: the signature over key
 * and expiry is the whole credential, so inference needs no bucket access.
 */
export const readSignedObject = createRouter().openapi(route, async (c) => {
  const { key } = c.req.valid("param");
  const { exp, sig } = c.req.valid("query");
  const check = await checkImageUrlSignature(c.var.config, key, exp, sig);
  if (check === "invalid") throw new ApiError("signature_invalid", "The URL signature is missing or wrong");
  if (check === "expired") throw new ApiError("signature_expired", "The signed URL has expired");
  const object = await c.env.IMAGES.get(key);
  if (!object) throw new ApiError("not_found", "Object not found");
  const headers = new Headers({
    "Content-Type": object.httpMetadata?.contentType ?? "application/octet-stream",
    "Content-Length": String(object.size),
    ETag: object.httpEtag,
    // Bytes behind a credential-bearing URL must not land in shared caches.
    "Cache-Control": "private, no-store",
  });
  return c.body(object.body, 200, Object.fromEntries(headers));
});
