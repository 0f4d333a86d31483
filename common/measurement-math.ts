import type { Extent, PixelSize, ReferenceLine, SizeMm } from "./measurements";

/**
 * Sizes in millimetres as arithmetic on film pixels: lengths, an indication's size, a calibration
 * from a reference line. Apart from the schemas in `measurements.ts`, so the web app computes them
 * without bundling zod.
 */

/**
 * Shortest reference line, in film pixels. A line's ends are placed to about a pixel each, so a
 * shorter one would calibrate every later measurement with an error over 5 %.
 */
export const MIN_REFERENCE_PIXELS = 20;

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
 * A detection's measured extent for a box that may since have changed: the measurement describes
 * the model's box only, so a box a reviewer drew or resized has none (its sizes come from the box).
 */
export function extentForBox(
  box: { x1: number; y1: number; x2: number; y2: number },
  original: { box: { x1: number; y1: number; x2: number; y2: number }; extent?: Extent } | null | undefined,
): Extent | null {
  if (!original?.extent) return null;
  const same =
    box.x1 === original.box.x1 &&
    box.y1 === original.box.y1 &&
    box.x2 === original.box.x2 &&
    box.y2 === original.box.y2;
  return same ? original.extent : null;
}

/** The length in mm of a line in film pixels, under a pixel size that may not be square. */
export function lineMm(line: Extent["line"], pixel: PixelSize): number {
  return Math.hypot((line.x2 - line.x1) * pixel.x, (line.y2 - line.y1) * pixel.y);
}

/** A length in pixels across `line` (perpendicular to it), in mm. */
function acrossMm(line: Extent["line"], px: number, pixel: PixelSize): number {
  const dx = line.x2 - line.x1;
  const dy = line.y2 - line.y1;
  const norm = Math.hypot(dx, dy) || 1;
  return px * Math.hypot((dy / norm) * pixel.x, (dx / norm) * pixel.y);
}

/** The size of an xyxy pixel box, and of the indication measured in it when known, under a pixel size. */
export function sizeInMm(
  box: { x1: number; y1: number; x2: number; y2: number },
  pixel: PixelSize,
  extent?: Extent | null,
): SizeMm {
  const width = Math.max(0, box.x2 - box.x1) * pixel.x;
  const height = Math.max(0, box.y2 - box.y1) * pixel.y;
  const area = width * height;
  if (extent?.method === "segmented") {
    const length = lineMm(extent.line, pixel);
    return {
      width,
      height,
      length,
      breadth: acrossMm(extent.line, extent.widthPx, pixel),
      measured: true,
      area,
    };
  }
  return {
    width,
    height,
    length: Math.max(width, height),
    breadth: Math.min(width, height),
    measured: false,
    area,
  };
}
