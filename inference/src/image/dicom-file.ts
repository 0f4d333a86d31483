import { readDicomFile } from "@common/imaging/dicom-part10";
import type { DicondeImage } from "@common/imaging/diconde";
import { readEncapsulatedPixelDataFromFragments } from "dicom-parser";
import { InferenceError } from "../errors";

/** A DICONDE file's header and its one frame: native Pixel Data, or its fragments joined. */
export interface DicomFrame {
  image: DicondeImage;
  frame: Uint8Array;
}

/**
 * Reads a downloaded DICOM Part 10 file with the reader the edge validated it with
 * (`common/imaging/dicom-part10.ts`), so its refusals carry the same codes: a transfer syntax not
 * decoded is `unsupported_transfer_syntax`, colour or multi-frame `unsupported_image_type`.
 */
function readChecked(bytes: Uint8Array, maxPixels: number, headerOnly: boolean) {
  const read = readDicomFile(bytes, bytes.length, { headerOnly });
  if (!read.ok) {
    const detail = read.problem === "need_more" ? "the file ends inside its header" : read.detail;
    const code =
      read.problem === "unsupported_transfer_syntax"
        ? "unsupported_transfer_syntax"
        : read.problem === "unsupported"
          ? "unsupported_image_type"
          : "image_corrupt";
    throw new InferenceError(code, `DICOM: ${detail}`);
  }
  const { width, height } = read.image;
  if (width * height > maxPixels) {
    throw new InferenceError(
      "image_too_many_pixels",
      `image is ${width}x${height} = ${width * height} pixels, the limit is ${maxPixels}`,
    );
  }
  return read;
}

/** The header only (up to Pixel Data): size and sample format, before anything is decoded. */
export const readDicomHeader = (bytes: Uint8Array, maxPixels: number): DicondeImage =>
  readChecked(bytes, maxPixels, true).image;

/** The header and the frame's bytes, encapsulated fragments joined. */
export function readDicomFrame(bytes: Uint8Array, maxPixels: number): DicomFrame {
  const { image, dataSet, pixelData, encapsulated } = readChecked(bytes, maxPixels, false);
  if (!encapsulated) {
    return { image, frame: bytes.subarray(pixelData.dataOffset, pixelData.dataOffset + pixelData.length) };
  }
  const fragments = pixelData.fragments ?? [];
  if (fragments.length === 0)
    throw new InferenceError("image_corrupt", "DICOM: encapsulated pixel data has no fragments");
  try {
    // One frame: every fragment belongs to it, whatever the offset table says.
    const frame = readEncapsulatedPixelDataFromFragments(dataSet, pixelData, 0, fragments.length);
    return { image, frame: new Uint8Array(frame.buffer, frame.byteOffset, frame.byteLength) };
  } catch (error) {
    throw new InferenceError("image_corrupt", `DICOM: encapsulated pixel data: ${String(error)}`, {
      cause: error,
    });
  }
}
