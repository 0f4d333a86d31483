import { ImageMetadataSchema } from "@common/imaging/image-metadata";
import { ImagePixelSizeSchema, PixelSizeSchema } from "@common/measurements";
import { imageFormat, type images } from "@db/schema";
import { z } from "@hono/zod-openapi";
import { pageResponse } from "../pagination";

/** The stored formats, as the database enumerates them. */
export const ImageFormatSchema = z.enum(imageFormat.enumValues);

export const ImageSchema = z
  .object({
    id: z.uuid(),
    filename: z.string().nullable(),
    weldId: z.string().nullable().openapi({ description: "The weld the film shows, as given at upload" }),
    partId: z.string().nullable().openapi({ description: "The part the film shows, as given at upload" }),
    format: ImageFormatSchema,
    width: z.number().int(),
    height: z.number().int(),
    bitDepth: z
      .number()
      .int()
      .openapi({ description: "Bits per sample: 8, or 16 for 16-bit PNG/TIFF radiographs" }),
    bytes: z.number().int(),
    sha256: z.string(),
    pixelSizeMm: ImagePixelSizeSchema.nullable().meta({
      description:
        "mm per pixel along x and y and where it came from (DICONDE tags, the upload, a stated value or a reference line: `PUT /v1/images/{id}/calibration`), with the film's own calibration it replaces as `overrides`; null when unknown",
    }),
    metadata: ImageMetadataSchema.nullable().meta({
      description: "Header facts beyond the size (DICONDE window, rescale, photometric, identifiers)",
    }),
    createdAt: z.iso.datetime(),
  })
  .openapi("Image");

export type Image = z.infer<typeof ImageSchema>;

export const ImagePageSchema = pageResponse(ImageSchema, "ImagePage");

/**
 * A file name kept with an image: NFC, at most 255 characters, no control characters (NUL cannot
 * even be stored) and no bidirectional overrides, which make "gnp.exe" display as "exe.png".
 */
export const FilenameSchema = z
  .string()
  .transform((name) => name.normalize("NFC"))
  .pipe(
    z
      .string()
      .min(1)
      .max(255)
      .regex(
        /^[^\p{Cc}\u202A-\u202E\u2066-\u2069]*$/u,
        "must not contain control or bidirectional override characters",
      ),
  );

/**
 * A weld or part identifier given at upload ("W-17", "P-2231"): trimmed, at most 100 characters,
 * no control or bidirectional override characters, so lists show what was typed.
 */
export const FilmIdentifierSchema = z
  .string()
  .trim()
  .min(1)
  .max(100)
  .regex(
    /^[^\p{Cc}\u202A-\u202E\u2066-\u2069]*$/u,
    "must not contain control or bidirectional override characters",
  );

export const ImageIdParamSchema = z.object({ id: z.uuid().openapi({ param: { name: "id", in: "path" } }) });

export function toImage(row: typeof images.$inferSelect): Image {
  return {
    id: row.id,
    filename: row.filename,
    weldId: row.weldId,
    partId: row.partId,
    format: row.format,
    width: row.width,
    height: row.height,
    bitDepth: row.bitDepth,
    bytes: row.bytes,
    sha256: row.sha256,
    pixelSizeMm: row.pixelSizeMm ?? null,
    metadata: row.metadata ?? null,
    createdAt: row.createdAt.toISOString(),
  };
}

/**
 * `pixelSizeMm` in a query string: `0.05` (square pixels) or `0.05,0.06` (x, y), in mm per pixel;
 * the same values `PixelSizeMmInputSchema` takes in a JSON body.
 */
export const PixelSizeMmQuerySchema = z
  .string()
  .regex(/^\d+(\.\d+)?(,\d+(\.\d+)?)?$/, "mm per pixel: a number, or x,y")
  .transform((text) => {
    const [x, y] = text.split(",").map(Number) as [number, number | undefined];
    return { x, y: y ?? x };
  })
  .pipe(PixelSizeSchema);
