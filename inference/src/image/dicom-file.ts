import { readDicomFile } from "@common/imaging/dicom-part10";
import { dicomFrame } from "@common/imaging/dicom-pixels";
import { DicondeError, type DicondeImage } from "@common/imaging/diconde";
import { InferenceError } from "../errors";

/** A DICONDE file's header and its one frame: native Pixel Data, or its fragments joined. */
export interface DicomFrame {
  image: DicondeImage;
  frame: Uint8Array;
}

/** A refusal of the shared DICOM reader as the service's error code. */
export function dicondeFailure(problem: DicondeError["problem"], detail: string): InferenceError {
  const code =
    problem === "unsupported_transfer_syntax"
      ? "unsupported_transfer_syntax"
      : problem === "unsupported"
        ? "unsupported_image_type"
        : "image_corrupt";
  return new InferenceError(code, detail);
}

/**
 * Reads a downloaded DICOM Part 10 file with the reader the edge validated it with
 * (`common/imaging/dicom-part10.ts`), so its refusals carry the same codes: a transfer syntax not
 * decoded is `unsupported_transfer_syntax`, colour or multi-frame `unsupported_image_type`.
 */
function readChecked(bytes: Uint8Array, maxPixels: number, headerOnly: boolean) {
  const read = readDicomFile(bytes, bytes.length, { headerOnly });
  if (!read.ok) {
    if (read.problem === "need_more")
      throw dicondeFailure("corrupt", "DICOM: the file ends inside its header");
    throw dicondeFailure(read.problem, `DICOM: ${read.detail}`);
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
  const read = readChecked(bytes, maxPixels, false);
  try {
    return { image: read.image, frame: dicomFrame(bytes, read) };
  } catch (error) {
    if (error instanceof DicondeError) throw dicondeFailure(error.problem, error.message);
    throw error;
  }
}
