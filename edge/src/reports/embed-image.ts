import { type PDFDocument, PDFHexString, type PDFImage, PDFName, PDFRawStream, type PDFRef } from "pdf-lib";

/**
 * Puts radiographs into a report PDF without decoding them where the PDF format allows it, so
 * a report's CPU time and memory grow with the images' byte size, not their pixel count:
 * - JPEG: the file is the image stream (DCTDecode), as pdf-lib embeds it;
 * - PNG without alpha and not interlaced (greyscale, RGB or palette; 1-16 bit): the
 *   concatenated IDAT chunks are already a zlib stream with PNG row filters, which PDF readers
 *   undo themselves (FlateDecode, Predictor 15);
 * - other PNGs are decoded by pdf-lib, within the report's decoded-pixel budget; TIFF and WebP
 *   have no codec in a Worker and are not embedded.
 * Each image is written into the document at once (`PDFImage.embed`), so pdf-lib drops its
 * decoded pixels before the next image is read instead of holding every image until `save`.
 */

export type Embedded = {
  ref: PDFRef;
  width: number;
  height: number;
  /** Bytes the image adds to the PDF. */
  bytes: number;
  /** Pixels that had to be decoded to embed it (0 for JPEG and plain PNG). */
  decodedPixels: number;
};
export type NotEmbedded = { reason: string };

/** Stored formats a report can embed; others are shown as a frame. */
export const EMBEDDABLE_FORMATS: ReadonlySet<string> = new Set(["jpeg", "png"]);

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

type PngLayout = {
  width: number;
  height: number;
  bitDepth: number;
  colorType: number;
  interlaced: boolean;
  palette: Uint8Array | null;
  idat: Uint8Array[];
};

/** Reads a PNG's chunk layout (no pixel is decoded); null when the bytes are not a PNG. */
export function readPngLayout(bytes: Uint8Array): PngLayout | null {
  if (bytes.length < 33 || PNG_SIGNATURE.some((b, i) => bytes[i] !== b)) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const layout: PngLayout = {
    width: view.getUint32(16),
    height: view.getUint32(20),
    bitDepth: bytes[24] as number,
    colorType: bytes[25] as number,
    interlaced: bytes[28] === 1,
    palette: null,
    idat: [],
  };
  let at = 8;
  while (at + 8 <= bytes.length) {
    const length = view.getUint32(at);
    const type = String.fromCharCode(...bytes.subarray(at + 4, at + 8));
    const data = bytes.subarray(at + 8, at + 8 + length);
    if (data.length !== length) return null;
    if (type === "PLTE") layout.palette = data;
    else if (type === "IDAT") layout.idat.push(data);
    else if (type === "IEND") break;
    at += 12 + length;
  }
  return layout.idat.length > 0 ? layout : null;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

function embedPlainPng(doc: PDFDocument, png: PngLayout): Embedded | null {
  const colors = png.colorType === 2 ? 3 : 1;
  let colorSpace: unknown;
  if (png.colorType === 0) colorSpace = "DeviceGray";
  else if (png.colorType === 2) colorSpace = "DeviceRGB";
  else if (png.colorType === 3 && png.palette) {
    const hex = Array.from(png.palette, (b) => b.toString(16).padStart(2, "0")).join("");
    colorSpace = [
      PDFName.of("Indexed"),
      PDFName.of("DeviceRGB"),
      png.palette.length / 3 - 1,
      PDFHexString.of(hex),
    ];
  } else return null;
  const data = concat(png.idat);
  const dict = doc.context.obj({
    Type: "XObject",
    Subtype: "Image",
    Width: png.width,
    Height: png.height,
    BitsPerComponent: png.bitDepth,
    ColorSpace: colorSpace as never,
    Filter: "FlateDecode",
    DecodeParms: { Predictor: 15, Colors: colors, BitsPerComponent: png.bitDepth, Columns: png.width },
    Length: data.length,
  });
  const ref = doc.context.register(PDFRawStream.of(dict, data));
  return { ref, width: png.width, height: png.height, bytes: data.length, decodedPixels: 0 };
}

/** Writes `image` into the document now, so pdf-lib can drop its copy before the next image. */
async function embedded(image: PDFImage, bytes: number, decodedPixels: number): Promise<Embedded> {
  await image.embed();
  return { ref: image.ref, width: image.width, height: image.height, bytes, decodedPixels };
}

/**
 * Embeds one stored image into `doc`, or says why it is shown without its pixels.
 * `decodeBudget` is what is left of the report's REPORT_MAX_DECODED_PIXELS.
 */
export async function embedImage(
  doc: PDFDocument,
  bytes: Uint8Array,
  format: string,
  decodeBudget: number,
): Promise<Embedded | NotEmbedded> {
  if (format === "jpeg") return embedded(await doc.embedJpg(bytes), bytes.length, 0);
  if (format === "png") {
    const png = readPngLayout(bytes);
    if (!png) return { reason: "the stored PNG could not be read" };
    const needsDecoding = png.interlaced || png.colorType === 4 || png.colorType === 6;
    if (!needsDecoding) {
      const embedded = embedPlainPng(doc, png);
      if (embedded) return embedded;
    }
    const pixels = png.width * png.height;
    if (pixels > decodeBudget) {
      return {
        reason:
          "a PNG with alpha or interlacing must be decoded, and the report's decoding budget (REPORT_MAX_DECODED_PIXELS) is spent",
      };
    }
    return embedded(await doc.embedPng(bytes), bytes.length, pixels);
  }
  return { reason: `${format.toUpperCase()} images cannot be embedded by the edge (no codec in Workers)` };
}
