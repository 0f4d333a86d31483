import { ApiError } from "@edge/errors";
import { receiveModelUpload } from "@edge/models/upload";
import { checkModelUploadSignature } from "@edge/models/upload-url";
import { createRouter, errorResponse } from "@edge/openapi";
import { createRoute, z } from "@hono/zod-openapi";
import { ReceivedUploadSchema } from "./schema";

const route = createRoute({
  method: "put",
  path: "/{uploadId}",
  tags: ["Models"],
  summary: "Upload a model file (signed URL)",
  description: [
    "The `uploadUrl` of `POST /v1/models/{name}/versions`: its signature is the credential (no",
    "Authorization). Send the ONNX bytes with `Content-Length`; the URL takes one upload.",
  ].join(" "),
  request: {
    params: z.object({ uploadId: z.uuid().openapi({ param: { name: "uploadId", in: "path" } }) }),
    query: z.object({ exp: z.string().optional(), sig: z.string().optional() }),
    body: {
      required: true,
      content: {
        "application/octet-stream": { schema: z.string().openapi({ type: "string", format: "binary" }) },
      },
    },
  },
  responses: {
    200: { description: "Stored", content: { "application/json": { schema: ReceivedUploadSchema } } },
    400: errorResponse("No body (`empty_body`), or it broke off (`body_incomplete`)"),
    403: errorResponse("A wrong or expired signature (`signature_invalid`, `signature_expired`)"),
    409: errorResponse("The URL was used already (`conflict`)"),
    411: errorResponse("No Content-Length (`length_required`)"),
    413: errorResponse("Over MAX_MODEL_BYTES (`model_too_large`)"),
  },
});

/** Receives the bytes of a signed model upload (streamed to R2, hashed on the way). */
export const receiveModelFile = createRouter().openapi(route, async (c) => {
  const { uploadId } = c.req.valid("param");
  const { exp, sig } = c.req.valid("query");
  const check = await checkModelUploadSignature(c.var.config, uploadId, exp, sig);
  if (check === "invalid") throw new ApiError("signature_invalid", "The URL signature is missing or wrong");
  if (check === "expired") throw new ApiError("signature_expired", "The upload URL has expired");
  const header = c.req.header("content-length");
  if (header === undefined)
    throw new ApiError("length_required", "A model upload needs a Content-Length header");
  const length = Number(header);
  if (!Number.isSafeInteger(length) || length < 0)
    throw new ApiError("bad_request", "Invalid Content-Length");
  if (length === 0 || !c.req.raw.body) throw new ApiError("empty_body", "The model file is empty");
  const max = c.var.config.MAX_MODEL_BYTES;
  if (length > max) throw new ApiError("model_too_large", `A model file may have at most ${max} bytes`);
  const received = await receiveModelUpload(c.var.db, c.env.IMAGES, {
    id: uploadId,
    body: c.req.raw.body,
    length,
  });
  c.var.logger.info("model file received", { uploadId, bytes: received.bytes });
  return c.json({ uploadId, ...received }, 200);
});
