import type { ImagePixelSize, PixelSize } from "@common/measurements";
import { images } from "@db/schema";
import { ApiError } from "@edge/errors";
import { type StoredImage, storeImage } from "@edge/images/store";
import { requireScope } from "@edge/middleware/authenticate";
import { createRouter, errorResponse } from "@edge/openapi";
import { createRoute, z } from "@hono/zod-openapi";
import type { HonoRequest } from "hono";
import { authErrorResponses, bearerSecurity } from "../common-responses";
import { FilenameSchema, FilmIdentifierSchema, ImageSchema, PixelSizeMmQuerySchema, toImage } from "./schema";

const route = createRoute({
  method: "post",
  path: "/",
  tags: ["Images"],
  summary: "Upload an image",
  description: [
    "Send the file as the raw body (`Content-Type: image/*` or `application/dicom`, `Content-Length` required;",
    "streamed to storage) or as `multipart/form-data` with a `file` field. The type is decided from the bytes: JPEG,",
    "PNG, TIFF and WebP (8 or 16 bit) and DICONDE (DICOM Part 10, greyscale; see the transfer syntaxes in the guide)",
    "are accepted; SVG, HTML, PDF and files that are two formats at once are refused.",
    "Size and pixel count are checked from the header before anything is decoded. Needs `images:write`.",
  ].join(" "),
  security: bearerSecurity,
  request: {
    query: z.object({
      filename: FilenameSchema.optional().openapi({ description: "Name to keep with a raw upload" }),
      weldId: FilmIdentifierSchema.optional().openapi({
        description: "The weld the film shows (searchable in image and job lists)",
        example: "W-17",
      }),
      partId: FilmIdentifierSchema.optional().openapi({
        description: "The part the film shows (searchable in image and job lists)",
        example: "P-2231",
      }),
      pixelSizeMm: PixelSizeMmQuerySchema.optional().openapi({
        type: "string",
        description:
          "mm per pixel (`0.05`, or `0.05,0.06` for x,y): detections then carry sizes in mm. A DICONDE file's own Pixel Spacing takes precedence",
        example: "0.05",
      }),
    }),
    body: {
      required: false,
      content: {
        "image/*": { schema: z.string().openapi({ type: "string", format: "binary" }) },
        // RFC 3240's type for DICOM Part 10 files (DICONDE).
        "application/dicom": { schema: z.string().openapi({ type: "string", format: "binary" }) },
        "multipart/form-data": {
          schema: z.object({ file: z.any().openapi({ type: "string", format: "binary" }) }),
        },
      },
    },
  },
  responses: {
    201: { description: "Stored", content: { "application/json": { schema: ImageSchema } } },
    400: errorResponse(
      "Empty (`empty_body`), damaged or truncated (`image_corrupt`), broken off (`body_incomplete`), or malformed form",
    ),
    408: errorResponse("The body arrived too slowly (`request_timeout`)"),
    411: errorResponse("A raw upload without `Content-Length` (`length_required`)"),
    413: errorResponse("Over the byte limit (`payload_too_large`)"),
    415: errorResponse(
      "Not a supported image (`unsupported_image_type`, `image_polyglot`), or DICOM pixel data in a transfer syntax that is not decoded (`unsupported_transfer_syntax`)",
    ),
    422: errorResponse(
      "Over the pixel limit (`image_too_many_pixels`), or a header beyond `MAX_IMAGE_HEADER_BYTES` (`image_header_too_large`)",
    ),
    503: errorResponse("Database or storage unavailable (`database_unavailable`, `storage_unavailable`)"),
    ...authErrorResponses,
  },
});

/** The file's own calibration (DICONDE) wins over one given with the upload. */
function uploadPixelSize(stored: StoredImage, given: PixelSize | undefined): ImagePixelSize | null {
  if (stored.pixelSizeMm) return stored.pixelSizeMm;
  return given ? { ...given, source: "upload" } : null;
}

/** Room a multipart form may take beyond its file: boundaries and part headers. */
export const MULTIPART_ENVELOPE_BYTES = 64 * 1024;

/** The body to store and its length: the raw request stream, or the form's file. */
async function uploadedBody(req: HonoRequest) {
  const request = req.raw;
  const type = request.headers.get("content-type") ?? "";
  const declared = request.headers.get("content-length");
  if (type.startsWith("multipart/form-data")) {
    // Parsed in memory; the request body guard has already bounded it (and any chunked body).
    // Through HonoRequest, which caches the form the route's validator has already parsed.
    let form: FormData;
    try {
      form = await req.formData();
    } catch (error) {
      throw new ApiError("bad_request", "The multipart body could not be parsed", { cause: error });
    }
    const file = form.get("file");
    if (!(file instanceof File)) throw new ApiError("validation_failed", "The form needs a `file` field");
    const filename = file.name ? FilenameSchema.safeParse(file.name) : undefined;
    if (filename && !filename.success) {
      throw new ApiError("validation_failed", `The form's file name ${filename.error.issues[0]?.message}`);
    }
    return { stream: file.stream(), length: file.size, filename: filename?.data ?? null };
  }
  if (declared === null) {
    throw new ApiError(
      "length_required",
      "Raw uploads need a Content-Length header (or use multipart/form-data)",
    );
  }
  const length = Number(declared);
  if (!Number.isSafeInteger(length) || length < 0)
    throw new ApiError("bad_request", "Invalid Content-Length");
  if (length === 0 || !request.body) throw new ApiError("empty_body", "The upload is empty");
  return { stream: request.body, length, filename: null };
}

export const uploadImage = createRouter().openapi(route, async (c) => {
  const principal = requireScope(c, "images:write");
  const config = c.var.config;
  const body = await uploadedBody(c.req);
  const stored = await storeImage(c.env.IMAGES, principal.userId, body.stream, body.length, {
    maxBytes: config.MAX_IMAGE_BYTES,
    maxPixels: config.MAX_IMAGE_PIXELS,
    maxHeaderBytes: config.MAX_IMAGE_HEADER_BYTES,
  });
  let row: typeof images.$inferSelect | undefined;
  try {
    [row] = await c.var.db
      .insert(images)
      .values({
        ...stored,
        ownerId: principal.userId,
        filename: c.req.valid("query").filename ?? body.filename,
        weldId: c.req.valid("query").weldId ?? null,
        partId: c.req.valid("query").partId ?? null,
        pixelSizeMm: uploadPixelSize(stored, c.req.valid("query").pixelSizeMm),
      })
      .returning();
  } catch (error) {
    // No row, so no object either: an unreferenced object must not outlive the failed upload.
    await c.env.IMAGES.delete(stored.objectKey);
    c.var.logger.error("image row insert failed; object removed", { objectKey: stored.objectKey });
    throw error;
  }
  if (!row) throw new Error("image insert returned no row");
  c.var.logger.info("image stored", { imageId: row.id, bytes: row.bytes, format: row.format });
  c.header("Location", `/v1/images/${row.id}`);
  return c.json(toImage(row), 201);
});
