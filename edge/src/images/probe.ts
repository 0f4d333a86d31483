import {
  DICOM_PREAMBLE_BYTES,
  dicomHasValidEnding,
  isDicomPart10,
  readDicomFile,
} from "@common/imaging/dicom-part10";
import type { ImageMetadata } from "@common/imaging/image-metadata";
import type { ImagePixelSize } from "@common/measurements";
import { leadingBytes, probeTiff } from "./tiff-directory";

/**
 * Identifies an image by its bytes (never by what the client claims) and reads its dimensions
 * and bit depth from the header alone, so limits are enforced before anything is decoded.
 */
export type ImageFormat = "jpeg" | "png" | "tiff" | "webp" | "dicom";

export type ImageInfo = {
  format: ImageFormat;
  width: number;
  height: number;
  bitDepth: number;
  /** The file's own calibration (DICONDE Pixel Spacing), when it has one. */
  pixelSizeMm?: ImagePixelSize;
  /** Header facts beyond the size (DICONDE window, rescale, identifiers). */
  metadata?: ImageMetadata;
};

export type ProbeFailure =
  | { problem: "unsupported"; detail: string }
  | { problem: "polyglot"; detail: string }
  | { problem: "corrupt"; detail: string }
  /** A DICOM file whose pixel data is in a transfer syntax the platform does not decode. */
  | { problem: "unsupported_transfer_syntax"; detail: string }
  /**
   * TIFF keeps its directory wherever it likes, and a DICOM header may hold large elements: read
   * at least up to `offset` bytes and probe again. `from`, where given, is where the bytes still
   * missing begin (a TIFF directory can be read on its own, by a ranged read).
   */
  | { problem: "need_more"; offset: number; from?: number };

export type ProbeResult = ({ ok: true } & ImageInfo) | ({ ok: false } & ProbeFailure);

export const mimeTypes: Record<ImageFormat, string> = {
  jpeg: "image/jpeg",
  png: "image/png",
  tiff: "image/tiff",
  webp: "image/webp",
  dicom: "application/dicom",
};

const startsWith = (bytes: Uint8Array, signature: number[], at = 0) =>
  signature.every((value, i) => bytes[at + i] === value);

/** Which format the leading bytes announce, if any of ours. */
export function sniffFormat(head: Uint8Array): ImageFormat | null {
  if (isDicomPart10(head)) return "dicom";
  return sniffAtStart(head);
}

function sniffAtStart(head: Uint8Array): Exclude<ImageFormat, "dicom"> | null {
  if (startsWith(head, [0xff, 0xd8, 0xff])) return "jpeg";
  if (startsWith(head, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return "png";
  if (startsWith(head, [0x49, 0x49, 0x2a, 0x00]) || startsWith(head, [0x4d, 0x4d, 0x00, 0x2a])) return "tiff";
  if (startsWith(head, [0x52, 0x49, 0x46, 0x46]) && startsWith(head, [0x57, 0x45, 0x42, 0x50], 8))
    return "webp";
  return null;
}

/** What other formats look like, to name them in the refusal. */
function describeUnknown(head: Uint8Array): string {
  const text = new TextDecoder("latin1").decode(head.subarray(0, 256)).trimStart().toLowerCase();
  if (text.startsWith("%pdf-")) return "PDF documents are not accepted";
  if (text.startsWith("<svg") || (text.startsWith("<?xml") && text.includes("<svg")))
    return "SVG is not accepted";
  if (text.startsWith("<")) return "HTML/XML documents are not accepted";
  if (startsWith(head, [0x47, 0x49, 0x46, 0x38])) return "GIF is not accepted";
  if (startsWith(head, [0x42, 0x4d])) return "BMP is not accepted";
  if (startsWith(head, [0x49, 0x49, 0x2b, 0x00]) || startsWith(head, [0x4d, 0x4d, 0x00, 0x2b])) {
    // Only files over 4 GiB need BigTIFF, and the viewer's TIFF decoder does not read it.
    return "BigTIFF is not accepted (uploads are far below 4 GiB: write classic TIFF)";
  }
  return "the content is not a JPEG, PNG, TIFF, WebP or DICOM (Part 10) image";
}

/**
 * Markup or a PDF header inside the first kilobyte would let a browser or PDF reader that sniffs
 * content treat the file as something else (a polyglot). Images never carry these there.
 */
const POLYGLOT_MARKERS = ["<html", "<script", "<body", "<svg", "<iframe", "<!doctype", "%pdf-"];

function polyglotMarker(head: Uint8Array): string | null {
  const text = new TextDecoder("latin1").decode(head.subarray(0, 1024)).toLowerCase();
  return POLYGLOT_MARKERS.find((marker) => text.includes(marker)) ?? null;
}

const u16be = (b: Uint8Array, i: number) => ((b[i] ?? 0) << 8) | (b[i + 1] ?? 0);
const u32be = (b: Uint8Array, i: number) => (u16be(b, i) * 65536 + u16be(b, i + 2)) >>> 0;
const u16le = (b: Uint8Array, i: number) => (b[i] ?? 0) | ((b[i + 1] ?? 0) << 8);
const u24le = (b: Uint8Array, i: number) => u16le(b, i) | ((b[i + 2] ?? 0) << 16);
const u32le = (b: Uint8Array, i: number) => (u16le(b, i) + u16le(b, i + 2) * 65536) >>> 0;

const corrupt = (detail: string): ProbeResult => ({ ok: false, problem: "corrupt", detail });

/** Bit depths the PNG specification allows for each colour type (IHDR, section 11.2.2). */
const PNG_BIT_DEPTHS: Record<number, readonly number[]> = {
  0: [1, 2, 4, 8, 16], // greyscale
  2: [8, 16], // truecolour
  3: [1, 2, 4, 8], // indexed
  4: [8, 16], // greyscale with alpha
  6: [8, 16], // truecolour with alpha
};

function probePng(b: Uint8Array): ProbeResult {
  if (b.length < 33 || !startsWith(b, [0x49, 0x48, 0x44, 0x52], 12))
    return corrupt("PNG without an IHDR header");
  const [width, height] = [u32be(b, 16), u32be(b, 20)];
  const [bitDepth, colourType, compression, filter, interlace] = [
    b[24],
    b[25],
    b[26],
    b[27],
    b[28],
  ] as number[];
  if (width === 0 || height === 0 || width > 0x7fffffff || height > 0x7fffffff)
    return corrupt(`PNG dimensions ${width}×${height} are not allowed`);
  if (!PNG_BIT_DEPTHS[colourType as number]?.includes(bitDepth as number))
    return corrupt(`PNG bit depth ${bitDepth} with colour type ${colourType} is not allowed`);
  if (compression !== 0 || filter !== 0 || (interlace !== 0 && interlace !== 1))
    return corrupt("PNG header names an unknown compression, filter or interlace method");
  return { ok: true, format: "png", width, height, bitDepth: bitDepth as number };
}

/** SOF markers carry the frame size; C4 (DHT), C8 (JPG) and CC (DAC) share the range but do not. */
const isStartOfFrame = (marker: number) =>
  marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
/** Lossless frames (SOF3, 7, 11, 15) allow 2–16 bits per sample; the DCT ones 8 or 12. */
const isLossless = (marker: number) => (marker & 0x03) === 0x03;

/** A JPEG frame header (ITU T.81, B.2.2) with the values the standard allows. */
function jpegFrame(b: Uint8Array, at: number, marker: number): ProbeResult {
  const length = u16be(b, at + 2);
  const precision = b[at + 4] ?? 0;
  const [height, width] = [u16be(b, at + 5), u16be(b, at + 7)];
  const components = b[at + 9] ?? 0;
  const precisionAllowed = isLossless(marker)
    ? precision >= 2 && precision <= 16
    : precision === 8 || precision === 12;
  if (!precisionAllowed)
    return corrupt(`JPEG sample precision ${precision} is not allowed in this frame type`);
  if (components < 1 || components > 4)
    return corrupt(`JPEG frame with ${components} components is not allowed`);
  if (length !== 8 + 3 * components) return corrupt("JPEG frame header length does not match its components");
  return { ok: true, format: "jpeg", bitDepth: precision, height, width };
}

/**
 * Walks the marker segments to the frame header. Metadata segments (EXIF, ICC, comments) may push
 * it beyond the bytes read: the answer is then `need_more`, up to the caller's header limit.
 */
function probeJpeg(b: Uint8Array, totalBytes: number): ProbeResult {
  let i = 2;
  for (;;) {
    if (i + 10 > totalBytes) return corrupt("JPEG frame header not found (truncated file?)");
    if (i + 10 > b.length) return { ok: false, problem: "need_more", offset: i + 10 };
    if (b[i] !== 0xff) return corrupt("JPEG segment structure is broken");
    const marker = b[i + 1] ?? 0;
    if (marker === 0xff) {
      i += 1;
      continue;
    }
    if (marker === 0xd9 || marker === 0xda) return corrupt("JPEG has no frame header before its image data");
    if (marker === 0x00 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd8)) {
      return corrupt(`JPEG marker 0x${marker.toString(16)} is not allowed before the frame header`);
    }
    if (isStartOfFrame(marker)) return jpegFrame(b, i, marker);
    const length = u16be(b, i + 2);
    if (length < 2) return corrupt("JPEG segment length is invalid");
    i += 2 + length;
  }
}

function probeWebp(b: Uint8Array): ProbeResult {
  const chunk = new TextDecoder("latin1").decode(b.subarray(12, 16));
  if (chunk === "VP8 " && b.length >= 30) {
    if (!startsWith(b, [0x9d, 0x01, 0x2a], 23)) return corrupt("WebP VP8 frame tag missing");
    return {
      ok: true,
      format: "webp",
      width: u16le(b, 26) & 0x3fff,
      height: u16le(b, 28) & 0x3fff,
      bitDepth: 8,
    };
  }
  if (chunk === "VP8L" && b.length >= 25) {
    if (b[20] !== 0x2f) return corrupt("WebP lossless signature missing");
    const bits = u32le(b, 21);
    return {
      ok: true,
      format: "webp",
      width: (bits & 0x3fff) + 1,
      height: ((bits >>> 14) & 0x3fff) + 1,
      bitDepth: 8,
    };
  }
  if (chunk === "VP8X" && b.length >= 30) {
    return { ok: true, format: "webp", width: u24le(b, 24) + 1, height: u24le(b, 27) + 1, bitDepth: 8 };
  }
  return corrupt("WebP without a known image chunk");
}

/**
 * The other accepted image formats, which a DICOM preamble can hide (CVE-2019-11687); archives,
 * executables and documents are refused by the shared reader (`foreignPreamble`).
 */
function preambleFormat(head: Uint8Array): string | null {
  const format = sniffAtStart(head);
  return format === null ? null : `a ${format.toUpperCase()} image`;
}

/**
 * A DICOM Part 10 header (`common/imaging/dicom-part10.ts`): read up to the Pixel Data element,
 * whose extent is checked against the file's size; the pixels themselves are not read. The
 * 128-byte preamble is free for applications, so it may not make the file something else too.
 */
function probeDicom(b: Uint8Array, totalBytes: number): ProbeResult {
  const other = preambleFormat(b.subarray(0, DICOM_PREAMBLE_BYTES));
  if (other) return { ok: false, problem: "polyglot", detail: `the DICOM preamble is also ${other}` };
  const read = readDicomFile(b, totalBytes, { headerOnly: true });
  if (!read.ok) {
    if (read.problem === "need_more") return read;
    return { ok: false, problem: read.problem, detail: read.detail };
  }
  const { image } = read;
  return {
    ok: true,
    format: "dicom",
    width: image.width,
    height: image.height,
    bitDepth: image.bitsAllocated,
    ...(image.pixelSizeMm ? { pixelSizeMm: image.pixelSizeMm } : {}),
    metadata: image.metadata,
  };
}

/**
 * Probes the leading bytes of an upload (`totalBytes` long in all). Never decodes pixel data.
 */
export function probeImage(head: Uint8Array, totalBytes: number): ProbeResult {
  const format = sniffFormat(head);
  if (!format) return { ok: false, problem: "unsupported", detail: describeUnknown(head) };
  const marker = polyglotMarker(head);
  if (marker) return { ok: false, problem: "polyglot", detail: `the file also contains "${marker}" content` };
  const result =
    format === "png"
      ? probePng(head)
      : format === "jpeg"
        ? probeJpeg(head, totalBytes)
        : format === "webp"
          ? probeWebp(head)
          : format === "dicom"
            ? probeDicom(head, totalBytes)
            : probeTiff(leadingBytes(head), totalBytes);
  if (result.ok && (result.width < 1 || result.height < 1)) return corrupt("image has zero width or height");
  return result;
}

/**
 * Whether the file ends the way its format requires (JPEG's EOI marker, PNG's IEND chunk,
 * RIFF's declared size, encapsulated DICOM pixel data's delimiter), given its last bytes. Catches
 * truncated uploads without decoding.
 */
export function hasValidEnding(
  format: ImageFormat,
  tail: Uint8Array,
  totalBytes: number,
  head: Uint8Array,
): boolean {
  if (format === "jpeg") {
    // Some encoders pad after EOI; accept the marker anywhere in the last bytes.
    for (let i = tail.length - 2; i >= 0; i--) if (tail[i] === 0xff && tail[i + 1] === 0xd9) return true;
    return false;
  }
  if (format === "png") {
    return startsWith(tail, [0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82], tail.length - 8);
  }
  if (format === "webp") return u32le(head, 4) + 8 === totalBytes;
  if (format === "dicom") return dicomHasValidEnding(head, tail);
  return true;
}
