/** Greyscale PNG and TIFF encoding of a [0, 1] plane through sharp; DICONDE through `./diconde.ts`. */

import { DEFAULT_PERCENTILES, histogramOf, resolveMapping } from "@common/imaging/intensity";
import sharp from "sharp";
import { writeDiconde } from "./diconde";
import type { Plane } from "./raster";
import { type TiffLayout, writeTiff } from "./tiff";

export type BitDepth = 8 | 16;
export type ImageFileFormat = "png" | "tiff" | "dicom";

/** File extension per format. */
export const EXTENSIONS: Record<ImageFileFormat, string> = { png: "png", tiff: "tif", dicom: "dcm" };

/** Pixel size of generated films: a 100 µm detector pitch, common for weld radiography. */
export const DEFAULT_PIXEL_SIZE_MM = 0.1;

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
  const { width, height } = plane;
  const raw = { width, height, channels: 1 as const };
  if (bitDepth === 8) return sharp(raw8(plane), { raw }).toColourspace("b-w");
  return sharp(raw16(plane, counts), { raw }).toColourspace("grey16");
}

export async function encodePng(plane: Plane, bitDepth: BitDepth, counts: Counts = "full"): Promise<Buffer> {
  return image(plane, bitDepth, counts).png().toBuffer();
}

function raw8(plane: Plane): Uint8Array {
  return Uint8Array.from(plane.data, (v) => Math.round(v * 255));
}

/**
 * LZW-compressed TIFF in 256 × 256 tiles through libvips, as digitisers and detector software write
 * large films. With `layout`, written by `./tiff.ts` instead: either byte order, strips or tiles,
 * uncompressed, LZW or Deflate, the directory after the pixel data (libtiff's layout) or before it.
 */
export async function encodeTiff(
  plane: Plane,
  bitDepth: BitDepth,
  counts: Counts = "full",
  layout?: TiffLayout,
): Promise<Buffer> {
  if (layout) {
    const values = bitDepth === 8 ? raw8(plane) : raw16(plane, counts);
    const file = writeTiff({ width: plane.width, height: plane.height, values }, layout);
    return Buffer.from(file.buffer, file.byteOffset, file.byteLength);
  }
  return image(plane, bitDepth, counts)
    .tiff({ compression: "lzw", tile: true, tileWidth: 256, tileHeight: 256 })
    .toBuffer();
}

/** Bits a detector's counts need (14), or all 16 for the full range. */
const BITS_STORED: Record<Counts, number> = { full: 16, detector: 14 };

/**
 * A DICONDE radiograph (Explicit VR Little Endian, MONOCHROME2) with its Pixel Spacing, as a digital
 * detector's software writes it: 16-bit films carry a window over their values' 0.01–99.99 %
 * percentiles (its auto-window), so a reader maps them as it would a film without one.
 */
export function encodeDiconde(
  plane: Plane,
  bitDepth: BitDepth,
  counts: Counts,
  pixelSizeMm: number,
): Uint8Array {
  const { width, height } = plane;
  const spacing: [number, number] = [pixelSizeMm, pixelSizeMm];
  if (bitDepth === 8) {
    return writeDiconde({ width, height, values: raw8(plane), bitsAllocated: 8, pixelSpacing: spacing });
  }
  const values = raw16(plane, counts);
  const bitsStored = BITS_STORED[counts];
  const { low, high } = resolveMapping(
    { bitsStored },
    histogramOf(values, 2 ** bitsStored),
    DEFAULT_PERCENTILES,
  );
  return writeDiconde({
    width,
    height,
    values,
    bitsAllocated: 16,
    bitsStored,
    pixelSpacing: spacing,
    // The inverse of DICOM's linear window function (`windowBounds`).
    window: { center: (low + high + 1) / 2, width: high - low + 1 },
  });
}

/** `pixelSizeMm` is written into DICONDE files only (the other formats carry no calibration here). */
export async function encodeImage(
  plane: Plane,
  format: ImageFileFormat,
  bitDepth: BitDepth,
  counts: Counts = "full",
  pixelSizeMm = DEFAULT_PIXEL_SIZE_MM,
): Promise<Uint8Array> {
  if (format === "dicom") return encodeDiconde(plane, bitDepth, counts, pixelSizeMm);
  return format === "png" ? encodePng(plane, bitDepth, counts) : encodeTiff(plane, bitDepth, counts);
}
