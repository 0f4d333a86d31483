/** Greyscale PNG encoding of a [0, 1] plane through sharp. */

import sharp from "sharp";
import type { Plane } from "./raster";

export type BitDepth = 8 | 16;

export async function encodePng(plane: Plane, bitDepth: BitDepth): Promise<Buffer> {
  const { width, height, data } = plane;
  const raw = { width, height, channels: 1 as const };
  if (bitDepth === 8) {
    const pixels = new Uint8Array(data.length);
    for (let i = 0; i < data.length; i++) pixels[i] = Math.round((data[i] ?? 0) * 255);
    return sharp(pixels, { raw }).toColourspace("b-w").png().toBuffer();
  }
  const pixels = new Uint16Array(data.length);
  for (let i = 0; i < data.length; i++) pixels[i] = Math.round((data[i] ?? 0) * 65535);
  return sharp(pixels, { raw }).toColourspace("grey16").png().toBuffer();
}
