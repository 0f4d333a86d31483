import { isDicomPart10 } from "@common/imaging/dicom-part10";
import { mapToBytes } from "@common/imaging/intensity";
import sharp, { type Metadata } from "sharp";
import { InferenceError } from "../errors";
import { readDicomFrame, readDicomHeader } from "./dicom-file";
import { dicomRaster } from "./dicom-pixels";
import { DEFAULT_INTENSITY, type IntensityOptions } from "./intensity-options";
import type { Letterbox } from "./letterbox";
import type { Pixels, Raster } from "./raster";

const SUPPORTED_FORMATS = new Set(["jpeg", "png", "tiff", "webp"]);

export interface ImageInfo {
  /** Size after applying EXIF orientation. */
  width: number;
  height: number;
  format: string;
  channels: number;
  /** libvips band format, e.g. "uchar" (8 bit) or "ushort" (16 bit). */
  depth: string;
}

/**
 * libvips threads per image (process-wide). Many images are decoded at once, each on its own
 * worker, so splitting one image across more threads only oversubscribes the cores.
 */
export function setDecodeThreads(threads: number): void {
  sharp.concurrency(threads);
}

function decodeError(error: unknown): InferenceError {
  const message = error instanceof Error ? error.message : String(error);
  if (/pixel limit/i.test(message))
    return new InferenceError("image_too_many_pixels", message, { cause: error });
  return new InferenceError("image_corrupt", `cannot decode image: ${message}`, { cause: error });
}

/**
 * Reads the header only: format, oriented size, depth; refuses unsupported or oversized images.
 * DICONDE files (which libvips does not read) go through `./dicom-file.ts`.
 */
export async function probeImage(bytes: Uint8Array, maxPixels: number): Promise<ImageInfo> {
  if (bytes.length === 0) throw new InferenceError("image_corrupt", "empty image");
  if (isDicomPart10(bytes)) {
    const image = readDicomHeader(bytes, maxPixels);
    const depth = image.bitsAllocated === 16 ? "ushort" : "uchar";
    return { width: image.width, height: image.height, format: "dicom", channels: 1, depth };
  }
  let meta: Metadata;
  try {
    meta = await sharp(bytes, { limitInputPixels: false }).metadata();
  } catch (error) {
    throw decodeError(error);
  }
  const format = meta.format ?? "unknown";
  if (!SUPPORTED_FORMATS.has(format)) {
    throw new InferenceError(
      "unsupported_image_type",
      `image format ${format} is not supported (JPEG, PNG, TIFF, WebP, DICONDE)`,
    );
  }
  const { width, height } = meta.autoOrient;
  if (!(width > 0 && height > 0)) throw new InferenceError("image_corrupt", "image has no size");
  if (width * height > maxPixels) {
    throw new InferenceError(
      "image_too_many_pixels",
      `image is ${width}x${height} = ${width * height} pixels, the limit is ${maxPixels}`,
    );
  }
  return { width, height, format, channels: meta.channels ?? 0, depth: meta.depth ?? "unknown" };
}

/** Greyscale sources (with or without alpha) can be decoded to one channel: R = G = B anyway. */
export const isGrey = (image: ImageInfo): boolean => image.channels === 1 || image.channels === 2;

function greyToRgb(grey: Uint8Array): Uint8Array {
  const rgb = new Uint8Array(grey.length * 3);
  for (let i = 0; i < grey.length; i++) {
    const v = grey[i] as number;
    rgb[3 * i] = v;
    rgb[3 * i + 1] = v;
    rgb[3 * i + 2] = v;
  }
  return rgb;
}

/**
 * Decodes, orients and resizes to `width` × `height` in one libvips pipeline (JPEG shrink-on-load
 * keeps large radiographs cheap), returning 8-bit pixels: one grey channel when `grey` is set, else
 * sRGB; alpha is dropped as OpenCV's imread does. At the image's own size nothing is resampled
 * (tiles at the model's resolution). 16-bit greyscale images keep their 16 bits through the
 * resize and are then mapped to 8 bits by the shared intensity mapping
 * (`common/imaging/intensity.ts`: robust percentiles to the model's levels, never a bit shift).
 * DICONDE frames are decoded by `./dicom-pixels.ts` and mapped with the file's own window,
 * rescale and photometric interpretation.
 */
export async function decodeToSize(
  bytes: Uint8Array,
  width: number,
  height: number,
  maxPixels: number,
  grey = false,
  intensity: IntensityOptions = DEFAULT_INTENSITY,
): Promise<Raster> {
  const channels = grey ? 1 : 3;
  if (isDicomPart10(bytes)) {
    const { image, frame } = readDicomFrame(bytes, maxPixels);
    const raster = await dicomRaster(image, frame, width, height, intensity);
    return grey ? raster : { data: greyToRgb(raster.data), width, height, channels };
  }
  try {
    let pipeline = sharp(bytes, { limitInputPixels: maxPixels, autoOrient: true });
    const meta = await pipeline.metadata();
    // Greyscale films with more than 8 bits go through the intensity mapping; 16-bit colour is
    // sRGB-encoded by definition, and libvips' exact rescale of it is its meaning.
    const wideGrey = (meta.depth === "ushort" || meta.depth === "short") && (meta.channels ?? 0) <= 2;
    const same = meta.autoOrient.width === width && meta.autoOrient.height === height;
    if (!same) pipeline = pipeline.resize(width, height, { fit: "fill", kernel: "linear" });
    pipeline = pipeline.removeAlpha();
    const { data, info } = await (wideGrey
      ? pipeline.toColourspace("grey16").raw({ depth: "ushort" })
      : pipeline.toColourspace(grey ? "b-w" : "srgb").raw({ depth: "uchar" })
    ).toBuffer({ resolveWithObject: true });
    if ((wideGrey ? 1 : channels) !== info.channels || info.width !== width || info.height !== height) {
      throw new Error(`unexpected decoded shape ${info.width}x${info.height}x${info.channels}`);
    }
    if (wideGrey) {
      const values =
        data.byteOffset % 2 === 0
          ? new Uint16Array(data.buffer, data.byteOffset, data.byteLength / 2)
          : new Uint16Array(Uint8Array.from(data).buffer);
      const mapped = mapToBytes(values, { bitsStored: 16 }, intensity.percentiles, intensity.levels).bytes;
      return { data: channels === 1 ? mapped : greyToRgb(mapped), width, height, channels };
    }
    return { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width, height, channels };
  } catch (error) {
    throw decodeError(error);
  }
}

/** Decodes straight to the letterbox's inner size (the untiled path). */
export async function decodeResized(
  bytes: Uint8Array,
  lb: Letterbox,
  maxPixels: number,
  grey = false,
  intensity: IntensityOptions = DEFAULT_INTENSITY,
): Promise<Pixels> {
  const { data, channels } = await decodeToSize(
    bytes,
    lb.resizedWidth,
    lb.resizedHeight,
    maxPixels,
    grey,
    intensity,
  );
  return { data, channels };
}

/** Shrinks an already decoded raster to the letterbox's inner size (a whole-image pass next to tiles). */
export async function resizeRaster(raster: Raster, lb: Letterbox): Promise<Pixels> {
  const { data, info } = await sharp(raster.data, {
    raw: { width: raster.width, height: raster.height, channels: raster.channels },
    limitInputPixels: false,
  })
    .resize(lb.resizedWidth, lb.resizedHeight, { fit: "fill", kernel: "linear" })
    .toColourspace(raster.channels === 1 ? "b-w" : "srgb")
    .raw({ depth: "uchar" })
    .toBuffer({ resolveWithObject: true });
  if (info.channels !== raster.channels) throw new Error(`unexpected channels ${info.channels}`);
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), channels: raster.channels };
}
