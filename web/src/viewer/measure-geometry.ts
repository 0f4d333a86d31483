import { lineMm, sizeInMm } from "@common/measurement-math";
import type { Extent, PixelSize, SizeMm } from "@common/measurements";
import type { Film } from "./film";

/**
 * Measuring on the film, in film pixels and, when the pixel size is known, millimetres. Lengths
 * run between pixel centres: an inspector places each end on a pixel, and a line from one pixel
 * to the next is one pixel long.
 */

export type Point = { x: number; y: number };

/** The centre of the film pixel under an image point, kept within the film. */
export function snapToPixel(point: Point, size: { width: number; height: number }): Point {
  const column = Math.min(size.width - 1, Math.max(0, Math.floor(point.x)));
  const row = Math.min(size.height - 1, Math.max(0, Math.floor(point.y)));
  return { x: column + 0.5, y: row + 0.5 };
}

/** A path's length in film pixels, or in mm under a pixel size (which may not be square). */
export function pathLength(points: readonly Point[], pixel: PixelSize | null): number {
  let total = 0;
  for (let i = 1; i < points.length; i++) {
    const a = points[i - 1] as Point;
    const b = points[i] as Point;
    const line = { x1: a.x, y1: a.y, x2: b.x, y2: b.y };
    total += pixel ? lineMm(line, pixel) : Math.hypot(b.x - a.x, b.y - a.y);
  }
  return total;
}

/** A length as shown: mm to two decimals, or pixels (said so) when the film is not calibrated. */
export function lengthText(value: number, calibrated: boolean): string {
  return calibrated ? `${value.toFixed(2)} mm` : `${value.toFixed(1)} px (uncalibrated)`;
}

/** Zoom as a percentage: 100 % shows one film pixel per CSS pixel. */
export const zoomPercent = (scale: number): string =>
  `${scale >= 0.1 ? Math.round(scale * 100) : (scale * 100).toFixed(1)} %`;

/** Screen length of a scale bar never shorter or longer than these (CSS pixels). */
const BAR_MIN_CSS = 60;
const BAR_MAX_CSS = 160;

/**
 * A scale bar for the current zoom: a round length (1, 2 or 5 × a power of ten) in mm when the
 * pixel size is known (along x), else in film pixels, between 60 and 160 CSS pixels on screen.
 */
export function scaleBar(scale: number, pixel: PixelSize | null): { cssLength: number; label: string } {
  const unitsPerCss = (pixel ? pixel.x : 1) / scale;
  const wanted = BAR_MIN_CSS * unitsPerCss;
  let step = 10 ** Math.floor(Math.log10(wanted));
  for (const factor of [1, 2, 5, 10]) {
    if (factor * step >= wanted) {
      step *= factor;
      break;
    }
  }
  const cssLength = Math.min(BAR_MAX_CSS, step / unitsPerCss);
  const amount = Number(step.toPrecision(6));
  return { cssLength, label: pixel ? `${amount} mm` : `${amount} px (uncalibrated)` };
}

/**
 * What the film holds at a pixel: its stored value (all of a 16-bit film's bits), the modality
 * value when the file rescales it, or R, G, B for a colour image.
 */
export function valueAt(film: Film, column: number, row: number): string {
  if (column < 0 || row < 0 || column >= film.width || row >= film.height) return "";
  const index = row * film.width + column;
  if (film.channels === 4) {
    const [r, g, b] = [0, 1, 2].map((c) => film.values[index * 4 + c] as number);
    return `R ${r} G ${g} B ${b}`;
  }
  const stored = film.values[index] as number;
  const rescale = film.info.rescale;
  if (!rescale || (rescale.slope === 1 && rescale.intercept === 0)) return `${stored}`;
  return `${stored} (modality ${Number((stored * rescale.slope + rescale.intercept).toPrecision(6))})`;
}

/** An indication's length and width: in mm under a pixel size, else in film pixels. */
export function indicationSize(
  box: { x1: number; y1: number; x2: number; y2: number },
  extent: Extent | null,
  pixel: PixelSize | null,
): SizeMm & { unit: "mm" | "px" } {
  return { ...sizeInMm(box, pixel ?? { x: 1, y: 1 }, extent), unit: pixel ? "mm" : "px" };
}

/** "L 3.09 × W 0.15 mm", with "(box)" when the box's sides stand in for a measurement. */
export function indicationSizeText(size: ReturnType<typeof indicationSize>): string {
  const digits = size.unit === "mm" ? 2 : 0;
  const text = `L ${size.length.toFixed(digits)} × W ${size.breadth.toFixed(digits)} ${size.unit}`;
  return size.measured ? text : `${text} (box)`;
}
