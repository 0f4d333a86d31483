/**
 * A TIFF 6.0 writer for fixtures in the layouts scanners and digitisers produce: either byte order,
 * strips (libtiff's default of about 8 KiB each) or 256 × 256 tiles, uncompressed, LZW or Deflate,
 * and the directory after the pixel data as libtiff writes it (or before it). Greyscale only.
 */

import { deflateSync } from "node:zlib";

export type TiffLayout = {
  /** `II` little endian (default), `MM` big endian. */
  byteOrder?: "II" | "MM";
  compression?: "none" | "lzw" | "deflate";
  /** Strips of about 8 KiB (default) or 256 × 256 tiles. */
  organisation?: "strips" | "tiles";
  /** `last` (default): the directory follows the pixel data, libtiff's layout. */
  directory?: "first" | "last";
};

const COMPRESSION_CODES = { none: 1, lzw: 5, deflate: 8 } as const;
const TILE_SIDE = 256;
/** libtiff's default strip size (`TIFFDefaultStripSize`). */
const STRIP_BYTES = 8192;

const LZW_CLEAR = 256;
const LZW_END = 257;
const LZW_FIRST = 258;
/** The table resets before its last entry, as libtiff's encoder does (`CODE_MAX - 1`). */
const LZW_TABLE_FULL = 4094;

/** TIFF's LZW (section 13): MSB-first codes of 9–12 bits with the early width change readers expect. */
export function lzwEncode(data: Uint8Array): Uint8Array {
  const out: number[] = [];
  let bits = 0;
  let held = 0;
  let width = 9;
  const put = (code: number) => {
    held = (held << width) | code;
    bits += width;
    while (bits >= 8) {
      bits -= 8;
      out.push((held >>> bits) & 0xff);
    }
    held &= (1 << bits) - 1;
  };
  let table = new Map<number, number>();
  let next = LZW_FIRST;
  const grow = () => {
    next++;
    if (next === LZW_TABLE_FULL) {
      put(LZW_CLEAR);
      table = new Map();
      next = LZW_FIRST;
      width = 9;
    } else if (next > (1 << width) - 1) width++;
  };
  put(LZW_CLEAR);
  let prefix = -1;
  for (const byte of data) {
    if (prefix < 0) {
      prefix = byte;
      continue;
    }
    const key = prefix * 256 + byte;
    const code = table.get(key);
    if (code !== undefined) {
      prefix = code;
      continue;
    }
    put(prefix);
    table.set(key, next);
    grow();
    prefix = byte;
  }
  if (prefix >= 0) {
    put(prefix);
    next++;
    if (next !== LZW_TABLE_FULL && next > (1 << width) - 1) width++;
  }
  put(LZW_END);
  if (bits > 0) out.push((held << (8 - bits)) & 0xff);
  return Uint8Array.from(out);
}

/** Greyscale samples of 8 or 16 bits, row-major. */
export type GreySamples = { width: number; height: number; values: Uint8Array | Uint16Array };

/** The raw bytes of each strip or tile, in the file's byte order (edge tiles padded, as TIFF requires). */
function pixelBlocks(image: GreySamples, little: boolean, tiled: boolean) {
  const { width, height, values } = image;
  const bytesPerSample = values instanceof Uint16Array ? 2 : 1;
  const put = (out: Uint8Array, at: number, value: number) => {
    if (bytesPerSample === 1) out[at] = value;
    else if (little) [out[at], out[at + 1]] = [value & 0xff, value >> 8];
    else [out[at], out[at + 1]] = [value >> 8, value & 0xff];
  };
  const blockWidth = tiled ? TILE_SIDE : width;
  const blockHeight = tiled
    ? TILE_SIDE
    : Math.min(height, Math.max(1, Math.floor(STRIP_BYTES / (width * bytesPerSample))));
  const blocks: Uint8Array[] = [];
  for (let y0 = 0; y0 < height; y0 += blockHeight) {
    for (let x0 = 0; x0 < width; x0 += blockWidth) {
      const rows = tiled ? blockHeight : Math.min(blockHeight, height - y0);
      const block = new Uint8Array(blockWidth * rows * bytesPerSample);
      for (let y = 0; y < rows && y0 + y < height; y++) {
        for (let x = 0; x < blockWidth && x0 + x < width; x++) {
          put(block, (y * blockWidth + x) * bytesPerSample, values[(y0 + y) * width + x0 + x] as number);
        }
      }
      blocks.push(block);
    }
  }
  return { blocks, blockWidth, blockHeight, bitsPerSample: 8 * bytesPerSample };
}

function compress(block: Uint8Array, compression: keyof typeof COMPRESSION_CODES): Uint8Array {
  if (compression === "lzw") return lzwEncode(block);
  if (compression === "deflate") return new Uint8Array(deflateSync(block));
  return block;
}

type Entry = { tag: number; type: 3 | 4; values: number[] };

/** Directory entries in ascending tag order, with placeholders for the block offsets. */
function entries(image: GreySamples, layout: Required<TiffLayout>, counts: number[], blockHeight: number) {
  const bits = image.values instanceof Uint16Array ? 16 : 8;
  const offsets = counts.map(() => 0);
  const list: Entry[] = [
    { tag: 256, type: 4, values: [image.width] },
    { tag: 257, type: 4, values: [image.height] },
    { tag: 258, type: 3, values: [bits] },
    { tag: 259, type: 3, values: [COMPRESSION_CODES[layout.compression]] },
    { tag: 262, type: 3, values: [1] },
  ];
  if (layout.organisation === "strips") {
    list.push(
      { tag: 273, type: 4, values: offsets },
      { tag: 277, type: 3, values: [1] },
      { tag: 278, type: 4, values: [blockHeight] },
      { tag: 279, type: 4, values: counts },
      { tag: 284, type: 3, values: [1] },
    );
  } else {
    list.push(
      { tag: 277, type: 3, values: [1] },
      { tag: 284, type: 3, values: [1] },
      { tag: 322, type: 3, values: [TILE_SIDE] },
      { tag: 323, type: 3, values: [TILE_SIDE] },
      { tag: 324, type: 4, values: offsets },
      { tag: 325, type: 4, values: counts },
    );
  }
  return { list, offsets };
}

const valueBytes = (entry: Entry) => entry.values.length * (entry.type === 3 ? 2 : 4);

/** Writes a greyscale TIFF in `layout` (defaults: II, uncompressed, strips, directory last). */
export function writeTiff(image: GreySamples, layout: TiffLayout = {}): Uint8Array {
  const full: Required<TiffLayout> = {
    byteOrder: layout.byteOrder ?? "II",
    compression: layout.compression ?? "none",
    organisation: layout.organisation ?? "strips",
    directory: layout.directory ?? "last",
  };
  const little = full.byteOrder === "II";
  const pixels = pixelBlocks(image, little, full.organisation === "tiles");
  const blocks = pixels.blocks.map((block) => compress(block, full.compression));
  const { list, offsets } = entries(
    image,
    full,
    blocks.map((b) => b.length),
    pixels.blockHeight,
  );
  const directoryBytes = 2 + list.length * 12 + 4;
  const outOfLine = list.reduce((sum, e) => sum + (valueBytes(e) > 4 ? valueBytes(e) : 0), 0);
  const pixelBytes = blocks.reduce((sum, b) => sum + b.length, 0);
  // Word-aligned, as TIFF asks of directory offsets.
  const pad = pixelBytes % 2;
  const directoryAt = full.directory === "last" ? 8 + pixelBytes + pad : 8;
  let dataAt = full.directory === "last" ? 8 : 8 + directoryBytes + outOfLine;
  for (const [i, block] of blocks.entries()) {
    offsets[i] = dataAt;
    dataAt += block.length;
  }
  const file = new Uint8Array(8 + pixelBytes + pad + directoryBytes + outOfLine);
  const view = new DataView(file.buffer);
  const u16 = (at: number, value: number) => view.setUint16(at, value, little);
  const u32 = (at: number, value: number) => view.setUint32(at, value, little);
  file.set(little ? [0x49, 0x49] : [0x4d, 0x4d], 0);
  u16(2, 42);
  u32(4, directoryAt);
  let at = full.directory === "last" ? 8 : 8 + directoryBytes + outOfLine;
  for (const block of blocks) {
    file.set(block, at);
    at += block.length;
  }
  // libtiff writes a directory's out-of-line values right after it.
  let valuesAt = directoryAt + directoryBytes;
  u16(directoryAt, list.length);
  for (const [n, entry] of list.entries()) {
    const field = directoryAt + 2 + n * 12;
    u16(field, entry.tag);
    u16(field + 2, entry.type);
    u32(field + 4, entry.values.length);
    const inline = valueBytes(entry) <= 4;
    let target = inline ? field + 8 : valuesAt;
    if (!inline) {
      u32(field + 8, valuesAt);
      valuesAt += valueBytes(entry);
    }
    for (const value of entry.values) {
      if (entry.type === 3) u16(target, value);
      else u32(target, value);
      target += entry.type === 3 ? 2 : 4;
    }
  }
  u32(directoryAt + directoryBytes - 4, 0);
  return file;
}
