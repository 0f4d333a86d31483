import { type DataSet, type Element, parseDicom, readPart10Header } from "dicom-parser";
import { errorMessage } from "../logger";
import { transferSyntax } from "./dicom-transfer-syntax";
import { DicondeError, type DicondeImage, readDiconde, TAGS } from "./diconde";

/**
 * DICOM Part 10 files (PS3.10 §7.1) read with dicom-parser (issue #15): the edge reads the header at
 * upload (`headerOnly`, the pixel data is neither read nor held), inference the whole file before it
 * decodes the pixels. Both get the same answers, so a file the edge accepted is one inference reads.
 */

export { DICOM_PREAMBLE_BYTES, isDicomPart10 } from "./dicom-signature";

/**
 * Signatures of archives, executables and documents, which a reader finds at offset 0 of a file:
 * a DICOM preamble (PS3.10 §7.1, free for applications) that starts with one makes the file that
 * format as well (CVE-2019-11687). A ZIP's central directory can be appended after the pixel data,
 * so a ZIP local header here is a working archive. Refused, whatever the data set says.
 */
const FOREIGN_PREAMBLES: ReadonlyArray<{ name: string; signature: readonly number[] }> = [
  { name: "a ZIP archive", signature: [0x50, 0x4b, 0x03, 0x04] },
  { name: "a ZIP archive", signature: [0x50, 0x4b, 0x05, 0x06] },
  { name: "a ZIP archive", signature: [0x50, 0x4b, 0x07, 0x08] },
  { name: "a Windows executable", signature: [0x4d, 0x5a] },
  { name: "an ELF executable", signature: [0x7f, 0x45, 0x4c, 0x46] },
  { name: "a PDF document", signature: [0x25, 0x50, 0x44, 0x46] },
  { name: "a RAR archive", signature: [0x52, 0x61, 0x72, 0x21, 0x1a, 0x07] },
  { name: "a 7-Zip archive", signature: [0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c] },
  { name: "a gzip stream", signature: [0x1f, 0x8b] },
  { name: "a bzip2 stream", signature: [0x42, 0x5a, 0x68] },
  { name: "an xz stream", signature: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00] },
];

/** What other format a DICOM preamble also is (see FOREIGN_PREAMBLES), or null. */
export function foreignPreamble(head: Uint8Array): string | null {
  const found = FOREIGN_PREAMBLES.find(({ signature }) => signature.every((value, i) => head[i] === value));
  return found?.name ?? null;
}

/** The longest element header (explicit VR with a 4-byte length): what reading on needs at least. */
const ELEMENT_HEADER_BYTES = 12;

export type DicomFileRead =
  | { ok: true; image: DicondeImage; dataSet: DataSet; pixelData: Element; encapsulated: boolean }
  /** The header goes on past the bytes given: read at least up to `offset` and try again. */
  | { ok: false; problem: "need_more"; offset: number }
  | { ok: false; problem: DicondeError["problem"]; detail: string };

/** How dicom-parser says it ran out of bytes (its errors are messages, not types). */
const RAN_OUT = /past end of buffer|buffer overr(un|ead)/i;

/** dicom-parser throws strings, Errors, or `{ exception, dataSet }` with what it read before failing. */
function parserFailure(error: unknown): { message: string; dataSet?: DataSet } {
  if (typeof error === "object" && error !== null && "exception" in error) {
    const { exception, dataSet } = error as { exception: unknown; dataSet?: DataSet };
    return { message: parserFailure(exception).message, dataSet };
  }
  return { message: errorMessage(error) };
}

/** Where the elements read so far end, plus room for the next element's header. */
function endOfElements(dataSet: DataSet | undefined): number {
  let end = 0;
  for (const element of Object.values(dataSet?.elements ?? {})) {
    if (!element.hadUndefinedLength) end = Math.max(end, element.dataOffset + element.length);
  }
  return end + ELEMENT_HEADER_BYTES;
}

/**
 * Reads a Part 10 file from its first `bytes` (of `totalBytes` in all). A preamble that is another
 * format's signature is refused (`polyglot`) before anything is parsed. The transfer syntax is
 * checked from the file meta information before the data set is parsed, so a deflated data set is
 * refused rather than inflated (a decompression bomb at upload). With `headerOnly`, parsing stops
 * at the Pixel Data element, whose extent is checked against `totalBytes` (native data that the
 * file is too short to hold is corrupt); without, encapsulated pixel data is walked to its
 * fragments.
 */
export function readDicomFile(
  bytes: Uint8Array,
  totalBytes: number,
  options: { headerOnly: boolean },
): DicomFileRead {
  const truncated = bytes.length < totalBytes;
  const fail = (problem: DicondeError["problem"], detail: string): DicomFileRead => ({
    ok: false,
    problem,
    detail,
  });
  const more = (offset: number): DicomFileRead => ({
    ok: false,
    problem: "need_more",
    offset: Math.min(totalBytes, Math.max(offset, bytes.length + 1)),
  });
  const foreign = foreignPreamble(bytes);
  if (foreign) return fail("polyglot", `the DICOM preamble is also ${foreign}`);
  let meta: DataSet;
  try {
    meta = readPart10Header(bytes);
  } catch (error) {
    const { message, dataSet } = parserFailure(error);
    // Only running out of bytes is worth reading on for; anything else is damage.
    if (truncated && RAN_OUT.test(message)) return more(endOfElements(dataSet));
    return fail("corrupt", `DICOM file meta information: ${message}`);
  }
  const uid = meta.string(TAGS.transferSyntax);
  if (uid === undefined)
    return fail("corrupt", "no Transfer Syntax UID (0002,0010) in the file meta information");
  const syntax = transferSyntax(uid);
  if (!syntax.supported) {
    return fail(
      "unsupported_transfer_syntax",
      `transfer syntax ${syntax.name} (${syntax.uid}) is not supported`,
    );
  }

  let dataSet: DataSet;
  try {
    dataSet = parseDicom(bytes, options.headerOnly ? { untilTag: TAGS.pixelData } : {});
  } catch (error) {
    const { message, dataSet: partial } = parserFailure(error);
    if (truncated && RAN_OUT.test(message)) return more(endOfElements(partial));
    return fail("corrupt", `DICOM data set: ${message}`);
  }
  const pixelData = dataSet.elements[TAGS.pixelData];
  if (pixelData === undefined) {
    if (truncated) return more(endOfElements(dataSet));
    return fail("corrupt", "the file has no Pixel Data (7FE0,0010)");
  }

  let image: DicondeImage;
  try {
    image = readDiconde(dataSet);
  } catch (error) {
    if (error instanceof DicondeError) return fail(error.problem, error.message);
    throw error;
  }
  const encapsulated = syntax.encoding !== "native";
  if (encapsulated !== Boolean(pixelData.hadUndefinedLength)) {
    return fail(
      "corrupt",
      encapsulated
        ? `${syntax.name} pixel data must be encapsulated (undefined length)`
        : "native pixel data must have a defined length",
    );
  }
  if (!encapsulated) {
    const needed = image.width * image.height * (image.bitsAllocated / 8);
    if (pixelData.length < needed) {
      return fail(
        "corrupt",
        `Pixel Data holds ${pixelData.length} bytes; ${image.width}×${image.height} samples of ${image.bitsAllocated} bits need ${needed}`,
      );
    }
    if (pixelData.dataOffset + needed > totalBytes) {
      return fail("corrupt", "the file ends inside its Pixel Data (truncated file?)");
    }
  }
  return { ok: true, image, dataSet, pixelData, encapsulated };
}

/** Sequence Delimitation Item (FFFE,E0DD) with its zero length, little endian: ends encapsulated pixel data. */
const SEQUENCE_DELIMITER = [0xfe, 0xff, 0xdd, 0xe0, 0, 0, 0, 0];

/**
 * Whether a file ends the way its pixel data requires, from its meta information (`head`) and last
 * bytes: encapsulated pixel data closes with a Sequence Delimitation Item. Native data's extent is
 * already checked from the header.
 */
export function dicomHasValidEnding(head: Uint8Array, tail: Uint8Array): boolean {
  let uid: string | undefined;
  try {
    uid = readPart10Header(head).string(TAGS.transferSyntax);
  } catch {
    return false;
  }
  if (uid === undefined || transferSyntax(uid).encoding === "native") return true;
  const at = tail.length - SEQUENCE_DELIMITER.length;
  return at >= 0 && SEQUENCE_DELIMITER.every((value, i) => tail[at + i] === value);
}
