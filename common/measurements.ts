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

/**
 * What an indication measures on the film, in film pixels, found at detection time from the pixels
 * inside its box (`inference/src/measure/extent.ts`). `line` joins the two points of the indication
 * farthest apart (its maximum Feret diameter): a slanted crack's length, not its box's side or
 * diagonal. `widthPx` is its extent across that line. `method` is `segmented` when the indication
 * stood out from its local background, `box` when it did not and the box's sides stand in (longer
 * side as the length, shorter as the width).
 */
export const ExtentSchema = z.object({
  line: z.object({ x1: z.number(), y1: z.number(), x2: z.number(), y2: z.number() }),
  widthPx: z.number().min(0),
  method: z.enum(["segmented", "box"]),
});
export type Extent = z.infer<typeof ExtentSchema>;

/**
 * A detection's size on the part. `width` and `height` are its box's sides and `area` the box's
 * area, an upper bound of the indication's own. `length` is the indication's longest extent and
 * `breadth` its width across that length, measured on its own pixels when `measured` is true; else
 * (a detection from before measurement, a box drawn or resized in review, no contrast) the longer
 * and shorter box sides, which understate a diagonal indication's length by up to √2.
 */
export const SizeMmSchema = z.object({
  width: z.number().min(0),
  height: z.number().min(0),
  length: z.number().min(0),
  breadth: z.number().min(0),
  measured: z.boolean(),
  area: z.number().min(0).meta({ description: "mm²" }),
});
export type SizeMm = z.infer<typeof SizeMmSchema>;
