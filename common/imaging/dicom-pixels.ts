import { readEncapsulatedPixelDataFromFragments } from "dicom-parser";
import type { DicomFileRead } from "./dicom-part10";
import { transferSyntax } from "./dicom-transfer-syntax";
import { DicondeError, type DicondeImage } from "./diconde";
import type { IntensityInfo } from "./intensity";
import { decodeJpegLossless } from "./jpeg-lossless";

/**
 * DICONDE pixel data to stored values (issue #15): native (uncompressed, little or big endian), RLE
 * Lossless (PS3.5 Annex G) and JPEG Lossless (process 14, `./jpeg-lossless.ts`) single-frame
 * greyscale, 8 or 16 bits allocated. What comes out is unsigned and ready for the shared intensity
 * mapping: signed samples are offset by 2^(bits−1) and the rescale intercept moved to match, so
 * modality values are unchanged. Pure JavaScript: the inference service maps these values for its
 * model, the web viewer for the screen. Failures are `DicondeError`s; each side words them its way.
 */
export interface StoredValues {
  values: Uint16Array;
  info: IntensityInfo;
}

const corrupt = (message: string) => new DicondeError("corrupt", `DICOM pixel data: ${message}`);

type ReadFile = Extract<DicomFileRead, { ok: true }>;

/**
 * The one frame of a file read whole (`readDicomFile` without `headerOnly`): the native Pixel Data,
 * or its encapsulated fragments joined.
 */
export function dicomFrame(bytes: Uint8Array, read: ReadFile): Uint8Array {
  const { dataSet, pixelData, encapsulated } = read;
  if (!encapsulated) return bytes.subarray(pixelData.dataOffset, pixelData.dataOffset + pixelData.length);
  const fragments = pixelData.fragments ?? [];
  if (fragments.length === 0)
    throw new DicondeError("corrupt", "DICOM: encapsulated pixel data has no fragments");
  try {
    // One frame: every fragment belongs to it, whatever the offset table says.
    const frame = readEncapsulatedPixelDataFromFragments(dataSet, pixelData, 0, fragments.length);
    return new Uint8Array(frame.buffer, frame.byteOffset, frame.byteLength);
  } catch (error) {
    throw new DicondeError("corrupt", `DICOM: encapsulated pixel data: ${String(error)}`);
  }
}

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
    throw new DicondeError(
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
