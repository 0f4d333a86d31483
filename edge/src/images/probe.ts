/**
 * Identifies an image by its bytes (never by what the client claims) and reads its dimensions
 * and bit depth from the header alone, so limits are enforced before anything is decoded.
 */
export type ImageFormat = "jpeg" | "png" | "tiff" | "webp";

export type ImageInfo = { format: ImageFormat; width: number; height: number; bitDepth: number };

export type ProbeFailure =
  | { problem: "unsupported"; detail: string }
  | { problem: "polyglot"; detail: string }
  | { problem: "corrupt"; detail: string }
  /** TIFF keeps its directory wherever it likes: read up to `offset` bytes and probe again. */
  | { problem: "need_more"; offset: number };

export type ProbeResult = ({ ok: true } & ImageInfo) | ({ ok: false } & ProbeFailure);

export const mimeTypes: Record<ImageFormat, string> = {
  jpeg: "image/jpeg",
  png: "image/png",
  tiff: "image/tiff",
  webp: "image/webp",
};

const startsWith = (bytes: Uint8Array, signature: number[], at = 0) =>
  signature.every((value, i) => bytes[at + i] === value);

/** Which format the leading bytes announce, if any of ours. */
export function sniffFormat(head: Uint8Array): ImageFormat | null {
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
  return "the content is not a JPEG, PNG, TIFF or WebP image";
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

function probeJpeg(b: Uint8Array): ProbeResult {
  let i = 2;
  while (i + 9 < b.length) {
    if (b[i] !== 0xff) return corrupt("JPEG segment structure is broken");
    const marker = b[i + 1] ?? 0;
    if (marker === 0xff) {
      i += 1;
      continue;
    }
    if (marker === 0xd9 || marker === 0xda) return corrupt("JPEG has no frame header before its image data");
    const length = u16be(b, i + 2);
    if (isStartOfFrame(marker)) {
      return {
        ok: true,
        format: "jpeg",
        bitDepth: b[i + 4] ?? 0,
        height: u16be(b, i + 5),
        width: u16be(b, i + 7),
      };
    }
    if (length < 2) return corrupt("JPEG segment length is invalid");
    i += 2 + length;
  }
  return corrupt("JPEG frame header not found (truncated file?)");
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

const TIFF_TAGS = { width: 256, height: 257, bitsPerSample: 258 } as const;

function probeTiff(b: Uint8Array, totalBytes: number): ProbeResult {
  const little = b[0] === 0x49;
  const u16 = (i: number) => (little ? u16le(b, i) : u16be(b, i));
  const u32 = (i: number) => (little ? u32le(b, i) : u32be(b, i));
  const ifd = u32(4);
  if (ifd < 8 || ifd + 2 > totalBytes) return corrupt("TIFF directory offset points outside the file");
  if (ifd + 2 > b.length) return { ok: false, problem: "need_more", offset: ifd + 2 };
  const entries = u16(ifd);
  const end = ifd + 2 + entries * 12;
  if (end > totalBytes) return corrupt("TIFF directory runs past the end of the file");
  if (end > b.length) return { ok: false, problem: "need_more", offset: end };
  const values: Partial<Record<number, number>> = {};
  for (let n = 0; n < entries; n++) {
    const at = ifd + 2 + n * 12;
    const tag = u16(at);
    const type = u16(at + 2);
    const count = u32(at + 4);
    // SHORT values sit left-justified in the value field; LONG fills it. BitsPerSample with
    // several samples points elsewhere, but all samples share one depth in baseline TIFF.
    const inline = type === 3 ? u16(at + 8) : u32(at + 8);
    if (tag === TIFF_TAGS.bitsPerSample && count > 2) {
      const offset = u32(at + 8);
      if (offset + 2 > b.length) return { ok: false, problem: "need_more", offset: offset + 2 };
      values[tag] = u16(offset);
    } else {
      values[tag] = inline;
    }
  }
  const width = values[TIFF_TAGS.width];
  const height = values[TIFF_TAGS.height];
  if (!width || !height) return corrupt("TIFF without image width and height");
  return { ok: true, format: "tiff", width, height, bitDepth: values[TIFF_TAGS.bitsPerSample] ?? 1 };
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
        ? probeJpeg(head)
        : format === "webp"
          ? probeWebp(head)
          : probeTiff(head, totalBytes);
  if (result.ok && (result.width < 1 || result.height < 1)) return corrupt("image has zero width or height");
  return result;
}

/**
 * Whether the file ends the way its format requires (JPEG's EOI marker, PNG's IEND chunk,
 * RIFF's declared size), given its last bytes. Catches truncated uploads without decoding.
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
  return true;
}
