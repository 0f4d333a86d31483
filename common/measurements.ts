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

/** The film's own calibration, read from its DICONDE header. */
export const FilmPixelSizeSourceSchema = z.enum(["dicom_pixel_spacing", "dicom_imager_pixel_spacing"]);

/**
 * Where a pixel size came from, most trusted first where several exist: the job's own parameter,
 * then the image's: DICONDE Pixel Spacing (0028,0030: calibrated at the object), Imager Pixel Spacing
 * (0018,1164: at the detector, so magnification is not corrected), given at upload, stated later
 * (`stated`), or measured from a reference of known length drawn on the film (`reference`).
 */
export const PixelSizeSourceSchema = z.enum([
  "job",
  ...FilmPixelSizeSourceSchema.options,
  "upload",
  "stated",
  "reference",
]);
export type PixelSizeSource = z.infer<typeof PixelSizeSourceSchema>;

/** Longest reference a calibration takes, mm: longer than any film, so a typo is refused. */
export const MAX_REFERENCE_LENGTH_MM = 10_000;

/**
 * Shortest reference line, in film pixels. A line's ends are placed to about a pixel each, so a
 * shorter one would calibrate every later measurement with an error over 5 %.
 */
export const MIN_REFERENCE_PIXELS = 20;

/** A line drawn on the film (film pixels) along something of known length: an IQI wire, a marker. */
export const ReferenceLineSchema = z.object({
  x1: z.number().min(0),
  y1: z.number().min(0),
  x2: z.number().min(0),
  y2: z.number().min(0),
  lengthMm: z.number().positive().max(MAX_REFERENCE_LENGTH_MM),
});
export type ReferenceLine = z.infer<typeof ReferenceLineSchema>;

export const ImagePixelSizeSchema = PixelSizeSchema.extend({
  source: PixelSizeSourceSchema,
  /** `reference` only: the line the pixel size was measured from. */
  reference: ReferenceLineSchema.optional(),
  /**
   * The film's own (DICONDE) calibration that a stated or reference value replaces: reports warn
   * when a size rests on a value that overrides the film's own.
   */
  overrides: PixelSizeSchema.extend({ source: FilmPixelSizeSourceSchema }).optional(),
});
export type ImagePixelSize = z.infer<typeof ImagePixelSizeSchema>;

/** A reference line's length in film pixels. */
export const referencePixels = (line: Pick<ReferenceLine, "x1" | "y1" | "x2" | "y2">): number =>
  Math.hypot(line.x2 - line.x1, line.y2 - line.y1);

/**
 * Millimetres per pixel from a reference line. Pixels are taken as square unless `aspect` (the
 * film's own y/x pixel size ratio) says otherwise: the line then fixes the scale, the film its shape.
 */
export function pixelSizeFromReference(line: ReferenceLine, aspect = 1): PixelSize {
  const x = line.lengthMm / Math.hypot(line.x2 - line.x1, (line.y2 - line.y1) * aspect);
  return { x, y: x * aspect };
}

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
