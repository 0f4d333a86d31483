import { ApiError } from "@edge/errors";
import { mimeTypes } from "@edge/images/probe";
import { requireScope } from "@edge/middleware/authenticate";
import { createRouter, errorResponse } from "@edge/openapi";
import { createRoute, z } from "@hono/zod-openapi";
import { create as contentDisposition } from "content-disposition";
import { authErrorResponses, bearerSecurity } from "../common-responses";
import { ownedImage } from "./owned";
import { ImageIdParamSchema } from "./schema";

const route = createRoute({
  method: "get",
  path: "/{id}/content",
  tags: ["Images"],
  summary: "Download the original file",
  description:
    "Served as an attachment with its detected type. `ETag` is the SHA-256; `If-None-Match` gives 304.",
  security: bearerSecurity,
  request: { params: ImageIdParamSchema },
  responses: {
    200: {
      description: "The original bytes",
      content: {
        "application/octet-stream": { schema: z.string().openapi({ type: "string", format: "binary" }) },
      },
    },
    304: { description: "Not modified" },
    404: errorResponse("No such image among yours (`not_found`)"),
    ...authErrorResponses,
  },
});

/** `If-None-Match` matches when it lists our ETag or is `*` (RFC 9110 §13.1.2, weak comparison). */
function matches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  return ifNoneMatch
    .split(",")
    .map((tag) => tag.trim().replace(/^W\//, ""))
    .some((tag) => tag === "*" || tag === etag);
}

export const downloadImage = createRouter().openapi(route, async (c) => {
  const principal = requireScope(c, "images:read");
  const image = await ownedImage(c.var.db, principal.userId, c.req.valid("param").id);
  const etag = `"${image.sha256}"`;
  const headers = {
    ETag: etag,
    "Cache-Control": "private, max-age=3600",
  };
  if (matches(c.req.header("If-None-Match"), etag)) return c.body(null, 304, headers);

  const object = await c.env.IMAGES.get(image.objectKey);
  if (!object) throw new ApiError("not_found", "Image content not found");
  return c.body(object.body as ReadableStream, 200, {
    ...headers,
    "Content-Type": mimeTypes[image.format],
    "Content-Length": String(object.size),
    // Never rendered inline: an uploaded file is only ever a download.
    // RFC 6266: an ASCII fallback plus the UTF-8 name (filename*), quoted and escaped.
    "Content-Disposition": contentDisposition(image.filename ?? `${image.id}.${image.format}`),
    "Content-Security-Policy": "default-src 'none'; sandbox",
  });
});
