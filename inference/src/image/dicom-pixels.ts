import { storedValues as readStoredValues, type StoredValues } from "@common/imaging/dicom-pixels";
import { DicondeError, type DicondeImage } from "@common/imaging/diconde";
import { mapToBytes } from "@common/imaging/intensity";
import sharp from "sharp";
import { dicondeFailure } from "./dicom-file";
import type { IntensityOptions } from "./intensity-options";
import type { Raster } from "./raster";

/**
 * The stored values of a frame (`common/imaging/dicom-pixels.ts`, shared with the web viewer), its
 * refusals as the service's error codes: `unsupported_transfer_syntax` or `image_corrupt`.
 */
export function storedValues(image: DicondeImage, frame: Uint8Array): StoredValues {
  try {
    return readStoredValues(image, frame);
  } catch (error) {
    if (error instanceof DicondeError) throw dicondeFailure(error.problem, error.message);
    throw error;
  }
}

/**
 * A frame as the model's 8-bit greyscale raster at `width` × `height`: stored values, the shared
 * intensity mapping (the file's window where it has one, else its percentiles; MONOCHROME1
 * inverted), then one resize when the size differs (tiles at another scale, a letterbox).
 */
export async function dicomRaster(
  image: DicondeImage,
  frame: Uint8Array,
  width: number,
  height: number,
  intensity: IntensityOptions,
): Promise<Raster> {
  const { values, info } = storedValues(image, frame);
  const { bytes } = mapToBytes(values, info, intensity.percentiles, intensity.levels);
  if (width === image.width && height === image.height) return { data: bytes, width, height, channels: 1 };
  const { data } = await sharp(bytes, {
    raw: { width: image.width, height: image.height, channels: 1 },
    limitInputPixels: false,
  })
    .resize(width, height, { fit: "fill", kernel: "linear" })
    .toColourspace("b-w")
    .raw({ depth: "uchar" })
    .toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width, height, channels: 1 };
}
