/** Greyscale PNG and TIFF encoding of a [0, 1] plane through sharp. */

import sharp from "sharp";
import type { Plane } from "./raster";

export type BitDepth = 8 | 16;
export type ImageFileFormat = "png" | "tiff";

/**
 * How 16-bit films store brightness: `full` spreads [0, 1] over 0–65535 (the training sets);
 * `detector` writes counts as a 14-bit digital detector in a 16-bit container would,
 * 1,000 + 12,000 × brightness, so only a mapping that looks at the values (not a bit shift) shows them.
 */
export type Counts = "full" | "detector";

export const DETECTOR_COUNTS = { offset: 1000, gain: 12_000 } as const;

function raw16(plane: Plane, counts: Counts): Uint16Array {
  const { data } = plane;
  const pixels = new Uint16Array(data.length);
  const [offset, gain] = counts === "full" ? [0, 65535] : [DETECTOR_COUNTS.offset, DETECTOR_COUNTS.gain];
  for (let i = 0; i < data.length; i++) pixels[i] = Math.round(offset + (data[i] ?? 0) * gain);
  return pixels;
}

function image(plane: Plane, bitDepth: BitDepth, counts: Counts) {
  const { width, height, data } = plane;
  const raw = { width, height, channels: 1 as const };
  if (bitDepth === 8) {
    const pixels = new Uint8Array(data.length);
    for (let i = 0; i < data.length; i++) pixels[i] = Math.round((data[i] ?? 0) * 255);
    return sharp(pixels, { raw }).toColourspace("b-w");
  }
  return sharp(raw16(plane, counts), { raw }).toColourspace("grey16");
}

export async function encodePng(plane: Plane, bitDepth: BitDepth, counts: Counts = "full"): Promise<Buffer> {
  return image(plane, bitDepth, counts).png().toBuffer();
}

/** LZW-compressed TIFF in 256 × 256 tiles, as digitisers and detector software write large films. */
export async function encodeTiff(plane: Plane, bitDepth: BitDepth, counts: Counts = "full"): Promise<Buffer> {
  return image(plane, bitDepth, counts)
    .tiff({ compression: "lzw", tile: true, tileWidth: 256, tileHeight: 256 })
    .toBuffer();
}

export function encodeImage(
  plane: Plane,
  format: ImageFileFormat,
  bitDepth: BitDepth,
  counts: Counts = "full",
): Promise<Buffer> {
  return format === "png" ? encodePng(plane, bitDepth, counts) : encodeTiff(plane, bitDepth, counts);
}
