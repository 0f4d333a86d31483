import { imageFormat, type images } from "@db/schema";
import { z } from "@hono/zod-openapi";

/** The stored formats, as the database enumerates them. */
export const ImageFormatSchema = z.enum(imageFormat.enumValues);

export const ImageSchema = z
  .object({
    id: z.uuid(),
    filename: z.string().nullable(),
    format: ImageFormatSchema,
    width: z.number().int(),
    height: z.number().int(),
    bitDepth: z
      .number()
      .int()
      .openapi({ description: "Bits per sample: 8, or 16 for 16-bit PNG/TIFF radiographs" }),
    bytes: z.number().int(),
    sha256: z.string(),
    createdAt: z.iso.datetime(),
  })
  .openapi("Image");

export type Image = z.infer<typeof ImageSchema>;

export const ImageIdParamSchema = z.object({ id: z.uuid().openapi({ param: { name: "id", in: "path" } }) });

export function toImage(row: typeof images.$inferSelect): Image {
  return {
    id: row.id,
    filename: row.filename,
    format: row.format,
    width: row.width,
    height: row.height,
    bitDepth: row.bitDepth,
    bytes: row.bytes,
    sha256: row.sha256,
    createdAt: row.createdAt.toISOString(),
  };
}
