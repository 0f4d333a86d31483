/**
 * The pixel shapes the image modules hand each other, and the constants their tensors share. It
 * imports nothing, so decoding, letterboxing and tiling all depend on it and never on each other.
 */

/** A decoded raster, interleaved (one grey channel or RGB). */
export interface Raster {
  data: Uint8Array;
  width: number;
  height: number;
  channels: 1 | 3;
}

/** Decoded pixels, interleaved: RGB, or one grey channel (their size is the letterbox's inner size). */
export interface Pixels {
  data: Uint8Array;
  channels: 1 | 3;
}

/** Ultralytics pads with grey 114 so the padding looks like the training data's padding. */
export const PAD_VALUE = 114;

/** byte → byte / 255, looked up rather than divided per pixel. */
export const BYTE_TO_UNIT = Float32Array.from({ length: 256 }, (_, value) => value / 255);
