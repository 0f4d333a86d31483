import { readDicomFile } from "@common/imaging/dicom-part10";
import { dicomFrame, storedValues } from "@common/imaging/dicom-pixels";
import { convertIndexedToRgb, decode as decodePng } from "fast-png";
import * as UTIF from "utif2";
import type { Film } from "./film";
import type { FilmFormat } from "./film-format";

/**
 * The viewer's JavaScript decoders, loaded on demand (`./film-format.ts`): each keeps the file's
 * stored values (16 bits stay 16) for the shared intensity mapping. PNG through fast-png, TIFF
 * through UTIF (strips or tiles; uncompressed, LZW, Deflate, PackBits), DICONDE through the
 * reader and pixel decoding the edge and the inference service use (`common/imaging`).
 */

/** 8-bit RGBA from interleaved samples of 8 or 16 bits (16-bit colour is sRGB: scaled, as libvips does). */
function toRgba(data: ArrayLike<number>, pixels: number, channels: number, depth: number): Uint8ClampedArray {
  const out = new Uint8ClampedArray(pixels * 4);
  const scale = depth === 16 ? 1 / 257 : 1;
  for (let p = 0; p < pixels; p++) {
    const at = p * channels;
    for (let c = 0; c < 3; c++) out[p * 4 + c] = Math.round((data[at + c] as number) * scale);
    out[p * 4 + 3] = channels === 4 ? Math.round((data[at + 3] as number) * scale) : 255;
  }
  return out;
}

/** One channel out of interleaved samples (grey with alpha: the alpha is dropped, as for the model). */
type Samples = Uint8Array | Uint8ClampedArray | Uint16Array;
function firstChannel(data: Samples, pixels: number, channels: number): Samples {
  if (channels === 1) return data.length === pixels ? data : data.subarray(0, pixels);
  const out = data instanceof Uint16Array ? new Uint16Array(pixels) : new Uint8Array(pixels);
  for (let p = 0; p < pixels; p++) out[p] = data[p * channels] as number;
  return out;
}

/** Grey samples of 1, 2 or 4 bits (rows start on a byte) as 0–255, as browsers and libvips show them. */
function unpackLowDepth(data: Uint8Array, width: number, height: number, depth: number): Uint8Array {
  const out = new Uint8Array(width * height);
  const rowBytes = Math.ceil((width * depth) / 8);
  const max = 2 ** depth - 1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const bit = x * depth;
      const byte = data[y * rowBytes + (bit >> 3)] as number;
      const value = (byte >> (8 - depth - (bit & 7))) & max;
      out[y * width + x] = Math.round((value * 255) / max);
    }
  }
  return out;
}

export function decodePngFilm(bytes: Uint8Array): Film {
  const png = decodePng(bytes);
  const { width, height, depth, channels } = png;
  const pixels = width * height;
  if (png.palette) {
    const rgb = convertIndexedToRgb(png);
    const perPixel = png.palette[0]?.length ?? 3;
    return { width, height, channels: 4, values: toRgba(rgb, pixels, perPixel, 8), info: { bitsStored: 8 } };
  }
  if (channels >= 3) {
    return {
      width,
      height,
      channels: 4,
      values: toRgba(png.data, pixels, channels, depth),
      info: { bitsStored: 8 },
    };
  }
  if (depth < 8) {
    const values = unpackLowDepth(png.data as Uint8Array, width, height, depth);
    return { width, height, channels: 1, values, info: { bitsStored: 8 } };
  }
  return {
    width,
    height,
    channels: 1,
    values: firstChannel(png.data, pixels, channels),
    info: { bitsStored: depth },
  };
}

const tag = (ifd: UTIF.IFD, id: number): number | undefined => (ifd[`t${id}`] as number[] | undefined)?.[0];

/**
 * UTIF follows the chain of directories with no bound, so a chain that loops (which the upload's
 * check, reading only the first directory, lets through) would hang the tab. The film is the first
 * directory: the chain is ended there, in the decoder's own copy of the file.
 */
function endChainAfterFirstDirectory(buffer: ArrayBuffer): void {
  const view = new DataView(buffer);
  if (view.byteLength < 8) return;
  const little = view.getUint8(0) === 0x49;
  const first = view.getUint32(4, little);
  if (first + 2 > view.byteLength) return;
  const next = first + 2 + view.getUint16(first, little) * 12;
  if (next + 4 <= view.byteLength) view.setUint32(next, 0, little);
}

/** The directory may sit anywhere (after the pixel data, as libtiff writes it): UTIF reads the whole file. */
export function decodeTiffFilm(bytes: Uint8Array): Film {
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  endChainAfterFirstDirectory(buffer);
  const ifd = UTIF.decode(buffer)[0];
  if (!ifd) throw new Error("the TIFF has no image");
  UTIF.decodeImage(buffer, ifd);
  const { width, height } = ifd;
  const pixels = width * height;
  const bits = tag(ifd, 258) ?? 1;
  const samples = tag(ifd, 277) ?? 1;
  // 0: WhiteIsZero (high values dark, DICOM's MONOCHROME1), 1: BlackIsZero.
  const photometric = tag(ifd, 262) ?? 1;
  const grey = (photometric === 0 || photometric === 1) && (bits === 8 || bits === 16) && samples <= 2;
  if (!grey) {
    return {
      width,
      height,
      channels: 4,
      values: new Uint8ClampedArray(UTIF.toRGBA8(ifd).buffer, 0, pixels * 4),
      info: { bitsStored: 8 },
    };
  }
  if (ifd.data.length < pixels * samples * (bits / 8)) throw new Error("the TIFF's pixel data is short");
  let data: Samples = ifd.data;
  if (bits === 16) {
    // UTIF hands 16-bit samples over little endian, whatever the file's byte order.
    const wide = new Uint16Array(pixels * samples);
    for (let i = 0; i < wide.length; i++)
      wide[i] = (ifd.data[2 * i] as number) | ((ifd.data[2 * i + 1] as number) << 8);
    data = wide;
  }
  return {
    width,
    height,
    channels: 1,
    values: firstChannel(data, pixels, samples),
    info: { bitsStored: bits, photometric: photometric === 0 ? "MONOCHROME1" : "MONOCHROME2" },
  };
}

export function decodeDicomFilm(bytes: Uint8Array): Film {
  const read = readDicomFile(bytes, bytes.length, { headerOnly: false });
  if (!read.ok) {
    throw new Error(read.problem === "need_more" ? "the DICOM file ends inside its header" : read.detail);
  }
  const { values, info } = storedValues(read.image, dicomFrame(bytes, read));
  return { width: read.image.width, height: read.image.height, channels: 1, values, info };
}

/** Decodes a film of a format the browser cannot be trusted with (`filmFormat`). */
export function decodeFilm(bytes: Uint8Array, format: Exclude<FilmFormat, "browser">): Film {
  if (format === "png") return decodePngFilm(bytes);
  if (format === "tiff") return decodeTiffFilm(bytes);
  return decodeDicomFilm(bytes);
}
