import {
  histogramOf,
  type IntensityInfo,
  mappingLut,
  percentileBounds,
  resolveMapping,
  type WindowLevel,
  windowFromBounds,
} from "@common/imaging/intensity";

/**
 * A decoded film as the viewer keeps it: the file's own values, never a display rendering of
 * them, so window/level works on every stored bit. Greyscale films (radiographs, whatever their
 * depth) hold one stored value per pixel; colour images hold 8-bit RGBA and are windowed channel by
 * channel. Windows are in the film's modality values (stored × rescale slope + intercept: stored
 * values for PNG and TIFF) and are applied with the shared mapping (`common/imaging/intensity.ts`).
 */
export interface Film {
  width: number;
  height: number;
  channels: 1 | 4;
  values: Uint8Array | Uint16Array | Uint8ClampedArray;
  info: IntensityInfo;
}

/** The window `w` picks: tighter than the default's 0.01–99.99 %, for contrast at a glance. */
export const AUTO_PERCENTILES = { low: 1, high: 99 };

/** One lookup-table entry per possible stored value. */
const binsOf = (film: Film) => 2 ** Math.max(8, Math.min(16, Math.ceil(film.info.bitsStored)));

/** Histogram of stored values (colour: of the red channel, which stands for all three on a radiograph). */
export function filmHistogram(film: Film): Uint32Array {
  if (film.channels === 1) return histogramOf(film.values, binsOf(film));
  const histogram = new Uint32Array(256);
  for (let i = 0; i < film.values.length; i += 4) {
    const v = film.values[i] as number;
    histogram[v] = (histogram[v] as number) + 1;
  }
  return histogram;
}

/** The window a film opens with: the file's own (DICONDE), else the shared mapping's default. */
export function defaultWindow(film: Film, histogram: ArrayLike<number>): WindowLevel {
  const { low, high } = resolveMapping(film.info, histogram);
  return windowFromBounds(low, high);
}

/** A window spanning the film's own values (`AUTO_PERCENTILES`). */
export function autoWindow(film: Film, histogram: ArrayLike<number>): WindowLevel {
  const { low, high } = percentileBounds(histogram, AUTO_PERCENTILES, film.info.rescale ?? undefined);
  return windowFromBounds(low, high);
}

/** What a window's numbers are, for the controls. */
export function windowUnits(film: Film): string {
  if (film.channels === 4) return "8-bit colour values";
  const stored = `${film.info.bitsStored}-bit stored values`;
  const rescale = film.info.rescale;
  if (!rescale || (rescale.slope === 1 && rescale.intercept === 0)) return stored;
  return `modality values (${stored} × ${rescale.slope} + ${rescale.intercept})`;
}

/** Renders the film through a window into RGBA pixels (`target`: width × height × 4). */
export function renderFilm(film: Film, window: WindowLevel, target: Uint8ClampedArray): void {
  const lut = mappingLut(resolveMapping({ ...film.info, window }, null), binsOf(film));
  const last = lut.length - 1;
  const { values } = film;
  if (film.channels === 1) {
    for (let p = 0, o = 0; p < values.length; p++, o += 4) {
      const v = values[p] as number;
      const shown = lut[v > last ? last : v] as number;
      target[o] = shown;
      target[o + 1] = shown;
      target[o + 2] = shown;
      target[o + 3] = 255;
    }
    return;
  }
  for (let i = 0; i < values.length; i += 4) {
    target[i] = lut[values[i] as number] as number;
    target[i + 1] = lut[values[i + 1] as number] as number;
    target[i + 2] = lut[values[i + 2] as number] as number;
    target[i + 3] = values[i + 3] as number;
  }
}
