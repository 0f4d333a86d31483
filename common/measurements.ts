import { z } from "zod";

/**
 * Sizes in millimetres (issue #15): inspectors judge an indication by its size on the part, not in
 * pixels. One definition for the edge's API and exports, the reports and the web viewer.
 */

/** Millimetres per pixel, along x (a pixel's width, between columns) and y (its height, between rows). */
export const PixelSizeSchema = z.object({
  x: z.number().positive().max(100),
  y: z.number().positive().max(100),
});
export type PixelSize = z.infer<typeof PixelSizeSchema>;

/**
 * `pixelSizeMm` as a client gives it, on an image or a job: one number for square pixels, or
 * `{ x, y }`. Always stored and shown as `{ x, y }`.
 */
export const PixelSizeMmInputSchema = z
  .union([z.number().positive().max(100), PixelSizeSchema])
  .transform((value): PixelSize => (typeof value === "number" ? { x: value, y: value } : value));

/**
 * Where a pixel size came from, most trusted first where several exist: the job's own parameter,
 * then the image's: DICONDE Pixel Spacing (0028,0030: calibrated at the object), Imager Pixel Spacing
 * (0018,1164: at the detector, so magnification is not corrected), or given at upload.
 */
export const PixelSizeSourceSchema = z.enum([
  "job",
  "dicom_pixel_spacing",
  "dicom_imager_pixel_spacing",
  "upload",
]);
export type PixelSizeSource = z.infer<typeof PixelSizeSourceSchema>;

export const ImagePixelSizeSchema = PixelSizeSchema.extend({ source: PixelSizeSourceSchema });
export type ImagePixelSize = z.infer<typeof ImagePixelSizeSchema>;

/**
 * A box's size on the part. `length` is the longer box side: the length of an indication running
 * along or across the weld (the usual case); a diagonal one can be up to √2 longer. `area` is the
 * box's area, an upper bound of the indication's own.
 */
export const SizeMmSchema = z.object({
  width: z.number().min(0),
  height: z.number().min(0),
  length: z.number().min(0),
  area: z.number().min(0).meta({ description: "mm²" }),
});
export type SizeMm = z.infer<typeof SizeMmSchema>;

/** The size of an xyxy pixel box under a pixel size. */
export function sizeInMm(box: { x1: number; y1: number; x2: number; y2: number }, pixel: PixelSize): SizeMm {
  const width = Math.max(0, box.x2 - box.x1) * pixel.x;
  const height = Math.max(0, box.y2 - box.y1) * pixel.y;
  return { width, height, length: Math.max(width, height), area: width * height };
}
