import { Decoder } from "jpeg-lossless-decoder-js";
import { errorMessage } from "../logger";
import { DicondeError } from "./diconde";

/**
 * JPEG Lossless frames of DICONDE files (transfer syntaxes 1.2.840.10008.1.2.4.57 and .70:
 * process 14, any predictor) decoded by jpeg-lossless-decoder-js, the decoder cornerstone uses.
 * Pure JavaScript, so the inference service and the web viewer decode with the same code.
 */

const corrupt = (message: string) => new DicondeError("corrupt", `JPEG Lossless pixel data: ${message}`);

/** SOF markers carry the frame size; C4 (DHT), C8 (JPG) and CC (DAC) share the range but do not. */
const isStartOfFrame = (marker: number) =>
  marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;

/**
 * The frame header (ITU T.81 B.2.2), found by walking the marker segments before it. The decoder
 * allocates its output from this header before it reads any data, so it is checked first: a small
 * codestream declaring a huge frame must not become a huge allocation.
 */
function frameHeader(b: Uint8Array) {
  if (b[0] !== 0xff || b[1] !== 0xd8) throw corrupt("no JPEG start of image");
  let i = 2;
  while (i + 10 <= b.length) {
    if (b[i] !== 0xff) throw corrupt("broken marker segments");
    const marker = b[i + 1] as number;
    if (marker === 0xff) {
      i++;
      continue;
    }
    if (isStartOfFrame(marker)) {
      return {
        marker,
        precision: b[i + 4] as number,
        height: ((b[i + 5] as number) << 8) | (b[i + 6] as number),
        width: ((b[i + 7] as number) << 8) | (b[i + 8] as number),
        components: b[i + 9] as number,
      };
    }
    i += 2 + (((b[i + 2] as number) << 8) | (b[i + 3] as number));
  }
  throw corrupt("no frame header");
}

/**
 * Decodes a frame whose header must match the DICOM header's (size, one component, a precision
 * that fits Bits Allocated) into native little-endian samples of `bytesPerSample` bytes.
 */
export function decodeJpegLossless(
  frame: Uint8Array,
  expected: { width: number; height: number; bitsAllocated: 8 | 16 },
): Uint8Array {
  const header = frameHeader(frame);
  if (header.marker !== 0xc3) {
    throw corrupt(`frame type SOF${header.marker - 0xc0} is not lossless (process 14 is SOF3)`);
  }
  if (header.width !== expected.width || header.height !== expected.height || header.components !== 1) {
    throw corrupt(
      `the codestream is ${header.width}x${header.height} with ${header.components} components; the DICOM header says ${expected.width}x${expected.height}, greyscale`,
    );
  }
  if (header.precision < 2 || header.precision > expected.bitsAllocated) {
    throw corrupt(`precision ${header.precision} does not fit Bits Allocated ${expected.bitsAllocated}`);
  }
  let samples: Uint8Array | Uint16Array;
  try {
    samples = new Decoder().decode(frame.buffer as ArrayBuffer, frame.byteOffset, frame.byteLength);
  } catch (error) {
    throw corrupt(errorMessage(error));
  }
  const pixels = expected.width * expected.height;
  if (samples.length < pixels) throw corrupt(`${samples.length} samples for ${pixels} pixels`);
  const bytesPerSample = expected.bitsAllocated / 8;
  const out = new Uint8Array(pixels * bytesPerSample);
  for (let p = 0; p < pixels; p++) {
    const v = samples[p] as number;
    if (bytesPerSample === 1) out[p] = v;
    else {
      out[2 * p] = v & 0xff;
      out[2 * p + 1] = v >> 8;
    }
  }
  return out;
}
