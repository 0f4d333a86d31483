import { MIN_REFERENCE_PIXELS, pixelSizeFromReference, referencePixels } from "@common/measurement-math";
import { FilmPixelSizeSourceSchema, type ImagePixelSize, PixelSizeSchema } from "@common/measurements";
import type { Db } from "@db/client-worker";
import { images } from "@db/schema";
import { ApiError } from "@edge/errors";
import { requireScope } from "@edge/middleware/authenticate";
import { createRouter, errorResponse } from "@edge/openapi";
import { createRoute, type z } from "@hono/zod-openapi";
import { eq } from "drizzle-orm";
import { authErrorResponses, bearerSecurity } from "../common-responses";
import { CalibrationRequestSchema } from "./calibration-schema";
import { ownedImage } from "./owned";
import { ImageIdParamSchema, ImageSchema, toImage } from "./schema";

const responses = {
  200: { description: "The image, calibrated", content: { "application/json": { schema: ImageSchema } } },
  404: errorResponse("No such image among yours (`not_found`)"),
  ...authErrorResponses,
};

const putRoute = createRoute({
  method: "put",
  path: "/{id}/calibration",
  tags: ["Images"],
  summary: "Calibrate an image's pixel size",
  description: [
    "Sets the image's mm per pixel, which every size in mm of its jobs (detections, exports, reports) then uses.",
    "A reference line keeps the film's own pixel shape when its DICONDE header gives one, else pixels are square;",
    `it must be at least ${MIN_REFERENCE_PIXELS} pixels long and lie within the image.`,
    "A value that replaces the film's own DICONDE calibration records it as `pixelSizeMm.overrides`. Needs `images:write`.",
  ].join(" "),
  security: bearerSecurity,
  request: {
    params: ImageIdParamSchema,
    body: { required: true, content: { "application/json": { schema: CalibrationRequestSchema } } },
  },
  responses: {
    ...responses,
    400: errorResponse(
      "Not one of the two forms, a value out of range, or a reference line too short, outside the image or giving a pixel size out of range (`validation_failed`)",
    ),
  },
});

const deleteRoute = createRoute({
  method: "delete",
  path: "/{id}/calibration",
  tags: ["Images"],
  summary: "Remove a stated or reference calibration",
  description:
    "Returns the image to its film's own (DICONDE) pixel size, or to none. Sizes in mm of its jobs follow. Needs `images:write`.",
  security: bearerSecurity,
  request: { params: ImageIdParamSchema },
  responses,
});

type Row = typeof images.$inferSelect;

/** The film's own calibration: the current value when it came from the header, else the one it replaced. */
function filmOwn(current: ImagePixelSize | null): ImagePixelSize["overrides"] {
  if (!current) return undefined;
  if (current.overrides) return current.overrides;
  const film = FilmPixelSizeSourceSchema.safeParse(current.source);
  return film.success ? { x: current.x, y: current.y, source: film.data } : undefined;
}

/** The pixel size a request asks for, checked against the image it calibrates. */
function requested(body: z.infer<typeof CalibrationRequestSchema>, image: Row): ImagePixelSize {
  const overrides = filmOwn(image.pixelSizeMm);
  const extra = overrides ? { overrides } : {};
  if ("pixelSizeMm" in body) return { ...body.pixelSizeMm, source: "stated", ...extra };
  const line = body.reference;
  if (Math.max(line.x1, line.x2) > image.width || Math.max(line.y1, line.y2) > image.height) {
    throw new ApiError(
      "validation_failed",
      `The reference line leaves the ${image.width}×${image.height} image`,
    );
  }
  if (referencePixels(line) < MIN_REFERENCE_PIXELS) {
    throw new ApiError(
      "validation_failed",
      `The reference line must be at least ${MIN_REFERENCE_PIXELS} pixels long`,
    );
  }
  const size = PixelSizeSchema.safeParse(
    pixelSizeFromReference(line, overrides ? overrides.y / overrides.x : 1),
  );
  if (!size.success) throw new ApiError("validation_failed", "The reference gives a pixel size out of range");
  return { ...size.data, source: "reference", reference: line, ...extra };
}

async function store(db: Db, id: string, value: ImagePixelSize | null) {
  const [row] = await db.update(images).set({ pixelSizeMm: value }).where(eq(images.id, id)).returning();
  // Deleted between the ownership check and the update.
  if (!row) throw new ApiError("not_found", "Image not found");
  return row;
}

export const putCalibration = createRouter().openapi(putRoute, async (c) => {
  const principal = requireScope(c, "images:write");
  const image = await ownedImage(c.var.db, principal.userId, c.req.valid("param").id);
  const value = requested(c.req.valid("json"), image);
  const row = await store(c.var.db, image.id, value);
  c.var.logger.info("image calibrated", { imageId: row.id, source: value.source });
  return c.json(toImage(row), 200);
});

export const deleteCalibration = createRouter().openapi(deleteRoute, async (c) => {
  const principal = requireScope(c, "images:write");
  const image = await ownedImage(c.var.db, principal.userId, c.req.valid("param").id);
  const row = await store(c.var.db, image.id, filmOwn(image.pixelSizeMm) ?? null);
  return c.json(toImage(row), 200);
});
