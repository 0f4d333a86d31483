import { transferSyntax } from "@common/imaging/dicom-transfer-syntax";
import type { DicondeImage } from "@common/imaging/diconde";
import { type IntensityInfo, mapToBytes } from "@common/imaging/intensity";
import sharp from "sharp";
import { InferenceError } from "../errors";
import type { IntensityOptions } from "./decode";
import { decodeJpegLossless } from "./jpeg-lossless";
import type { Raster } from "./tiling";

/**
 * DICONDE pixel data to stored values (issue #15): native (uncompressed, little or big endian), RLE
 * Lossless (PS3.5 Annex G) and JPEG Lossless (process 14, `./jpeg-lossless.ts`) single-frame
 * greyscale, 8 or 16 bits allocated. What comes out is unsigned and ready for the shared intensity
 * mapping: signed samples are offset by 2^(bits−1) and the rescale intercept moved to match, so
 * modality values are unchanged.
 */
export interface StoredValues {
  values: Uint16Array;
  info: IntensityInfo;
}

const corrupt = (message: string) => new InferenceError("image_corrupt", `DICOM pixel data: ${message}`);

/**
 * RLE Lossless (PS3.5 G.3): a 64-byte header (segment count, then up to 15 offsets), each segment
 * a PackBits run of one byte plane, most significant plane first. Returns the frame as native
 * little-endian samples.
 */
export function decodeRle(frame: Uint8Array, pixels: number, bytesPerSample: 1 | 2): Uint8Array {
  if (frame.length < 64) throw corrupt("RLE frame shorter than its header");
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  const segments = view.getUint32(0, true);
  if (segments !== bytesPerSample) {
    throw corrupt(`RLE frame has ${segments} segments, expected ${bytesPerSample}`);
  }
  const out = new Uint8Array(pixels * bytesPerSample);
  for (let s = 0; s < segments; s++) {
    const start = view.getUint32(4 + 4 * s, true);
    const end = s + 1 < segments ? view.getUint32(8 + 4 * s, true) : frame.length;
    if (start < 64 || end > frame.length || end < start)
      throw corrupt(`RLE segment ${s} lies outside the frame`);
    // Plane s holds byte (bytesPerSample − 1 − s) of each little-endian sample.
    const lane = bytesPerSample - 1 - s;
    let written = 0;
    let i = start;
    while (i < end && written < pixels) {
      const n = ((frame[i++] as number) << 24) >> 24;
      if (n >= 0) {
        for (let k = 0; k <= n && written < pixels; k++)
          out[written++ * bytesPerSample + lane] = frame[i++] as number;
      } else if (n !== -128) {
        const value = frame[i++] as number;
        for (let k = 0; k <= -n && written < pixels; k++) out[written++ * bytesPerSample + lane] = value;
      }
    }
    if (written !== pixels) throw corrupt(`RLE segment ${s} holds ${written} of ${pixels} samples`);
  }
  return out;
}

/**
 * The stored values of a frame: `frame` is the Pixel Data value (native) or the frame's
 * encapsulated fragments joined (RLE, JPEG Lossless).
 */
export function storedValues(image: DicondeImage, frame: Uint8Array): StoredValues {
  const syntax = transferSyntax(image.transferSyntax);
  const decoded =
    syntax.encoding === "native" || syntax.encoding === "rle" || syntax.encoding === "jpeg-lossless";
  if (!syntax.supported || !decoded) {
    throw new InferenceError(
      "unsupported_transfer_syntax",
      `transfer syntax ${syntax.name} (${syntax.uid}) is not supported`,
    );
  }
  const pixels = image.width * image.height;
  const bytesPerSample = image.bitsAllocated === 16 ? 2 : 1;
  const native =
    syntax.encoding === "rle"
      ? decodeRle(frame, pixels, bytesPerSample)
      : syntax.encoding === "jpeg-lossless"
        ? decodeJpegLossless(frame, image)
        : frame;
  // Odd-length values are padded to even length, so the data may be a byte longer.
  if (native.length < pixels * bytesPerSample) {
    throw corrupt(
      `${native.length} bytes for ${image.width}x${image.height} samples of ${image.bitsAllocated} bits`,
    );
  }
  // Decoded frames come out little endian; native data is in the syntax's byte order.
  const little = syntax.encoding !== "native" || syntax.littleEndian;
  const shift = image.highBit + 1 - image.bitsStored;
  const mask = (1 << image.bitsStored) - 1;
  const signBit = 1 << (image.bitsStored - 1);
  // Signed samples are shifted into the unsigned range; the intercept moves the other way.
  const offset = image.signed ? signBit : 0;
  const values = new Uint16Array(pixels);
  for (let p = 0; p < pixels; p++) {
    let raw: number;
    if (bytesPerSample === 1) raw = native[p] as number;
    else {
      const a = native[2 * p] as number;
      const b = native[2 * p + 1] as number;
      raw = little ? a | (b << 8) : (a << 8) | b;
    }
    // Bits outside Bits Stored (overlays, garbage) are not part of the value.
    let value = (raw >> shift) & mask;
    if (image.signed) value = value & signBit ? value - 2 * signBit : value;
    values[p] = value + offset;
  }
  const rescale = image.metadata.rescale ?? { slope: 1, intercept: 0 };
  return {
    values,
    info: {
      bitsStored: image.bitsStored,
      rescale: { slope: rescale.slope, intercept: rescale.intercept - offset * rescale.slope },
      window: image.metadata.window ?? null,
      photometric: image.photometric,
    },
  };
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
