import sharp, { type Metadata } from "sharp";
import { InferenceError } from "../errors";
import type { Letterbox } from "./letterbox";

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

/** Reads the header only: format, oriented size, depth; refuses unsupported or oversized images. */
export async function probeImage(bytes: Uint8Array, maxPixels: number): Promise<ImageInfo> {
  if (bytes.length === 0) throw new InferenceError("image_corrupt", "empty image");
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
      `image format ${format} is not supported (JPEG, PNG, TIFF, WebP)`,
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

/** Decoded pixels, interleaved: RGB, or one grey channel. */
export interface Pixels {
  data: Uint8Array;
  channels: 1 | 3;
}

/** Greyscale sources (with or without alpha) can be decoded to one channel: R = G = B anyway. */
export const isGrey = (image: ImageInfo): boolean => image.channels === 1 || image.channels === 2;

/**
 * Decodes, orients and resizes to the letterbox's inner size in one libvips pipeline (JPEG
 * shrink-on-load keeps large radiographs cheap), returning 8-bit pixels: one grey channel when
 * `grey` is set, else sRGB. 16-bit inputs are scaled to 8 bit; alpha is dropped as OpenCV's
 * imread does.
 */
export async function decodeResized(
  bytes: Uint8Array,
  lb: Letterbox,
  maxPixels: number,
  grey = false,
): Promise<Pixels> {
  const channels = grey ? 1 : 3;
  try {
    const { data, info } = await sharp(bytes, { limitInputPixels: maxPixels, autoOrient: true })
      .resize(lb.resizedWidth, lb.resizedHeight, { fit: "fill", kernel: "linear" })
      .removeAlpha()
      .toColourspace(grey ? "b-w" : "srgb")
      .raw({ depth: "uchar" })
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== channels || info.width !== lb.resizedWidth || info.height !== lb.resizedHeight) {
      throw new Error(`unexpected decoded shape ${info.width}x${info.height}x${info.channels}`);
    }
    return { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), channels };
  } catch (error) {
    throw decodeError(error);
  }
}
