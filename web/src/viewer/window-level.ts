/**
 * Window/level (contrast) for radiographs: a lookup table from stored 8-bit values to display
 * values. `level` is the window's centre and `width` its span, both in stored units (0–255);
 * values below the window go black, above it white, and the window is stretched linearly between.
 */
export function windowLevelLut(level: number, width: number): Uint8ClampedArray {
  const lut = new Uint8ClampedArray(256);
  const span = Math.max(1, width);
  const low = level - span / 2;
  for (let value = 0; value < 256; value++) lut[value] = Math.round(((value - low) / span) * 255);
  return lut;
}

/** Applies the table to every colour channel of RGBA pixels (alpha kept), into `target`. */
export function applyLut(source: Uint8ClampedArray, lut: Uint8ClampedArray, target: Uint8ClampedArray): void {
  for (let i = 0; i < source.length; i += 4) {
    target[i] = lut[source[i] as number] as number;
    target[i + 1] = lut[source[i + 1] as number] as number;
    target[i + 2] = lut[source[i + 2] as number] as number;
    target[i + 3] = source[i + 3] as number;
  }
}

/** A starting window that spans the image's own range (1st to 99th percentile of luminance). */
export function autoWindow(pixels: Uint8ClampedArray): { level: number; width: number } {
  const histogram = new Uint32Array(256);
  let count = 0;
  // Every 16th pixel is plenty for percentiles and keeps large films fast.
  for (let i = 0; i < pixels.length; i += 64) {
    histogram[pixels[i] as number] = (histogram[pixels[i] as number] as number) + 1;
    count++;
  }
  const at = (fraction: number) => {
    let seen = 0;
    for (let value = 0; value < 256; value++) {
      seen += histogram[value] as number;
      if (seen >= fraction * count) return value;
    }
    return 255;
  };
  const low = at(0.01);
  const high = Math.max(low + 1, at(0.99));
  return { level: Math.round((low + high) / 2), width: high - low };
}
