import type { ProbeResult } from "./probe";

/**
 * The first image file directory of a TIFF (TIFF 6.0, section 2), read from whichever bytes of the
 * file are at hand: the head of an upload as it streams in, plus ranges read back from storage once
 * it is stored, when the directory sits after the pixel data (libtiff's layout, so most scanners'
 * and digitisers'). Either way the reads are bounded: one directory, its few wanted values.
 */

/** Bytes of a file known at some offsets. */
export interface KnownBytes {
  has(from: number, to: number): boolean;
  at(offset: number): number;
}

/** The first `bytes.length` bytes of the file. */
export function leadingBytes(bytes: Uint8Array): KnownBytes {
  return { has: (_, to) => to <= bytes.length, at: (offset) => bytes[offset] ?? 0 };
}

/** The head of a file and ranges read from further on. */
class KnownRanges implements KnownBytes {
  private readonly ranges: Array<{ from: number; bytes: Uint8Array }> = [];

  add(from: number, bytes: Uint8Array) {
    this.ranges.push({ from, bytes });
  }

  has(from: number, to: number) {
    return this.ranges.some((r) => from >= r.from && to <= r.from + r.bytes.length);
  }

  at(offset: number) {
    const range = this.ranges.find((r) => offset >= r.from && offset < r.from + r.bytes.length);
    return range?.bytes[offset - range.from] ?? 0;
  }
}

const TAGS = {
  width: 256,
  height: 257,
  bitsPerSample: 258,
  compression: 259,
  samplesPerPixel: 277,
} as const;
const WANTED = new Set<number>(Object.values(TAGS));

/** Byte size of each TIFF 6.0 field type (1 BYTE ... 12 DOUBLE); other types are invalid. */
const TYPE_SIZES: Partial<Record<number, number>> = {
  1: 1,
  2: 1,
  3: 2,
  4: 4,
  5: 8,
  6: 1,
  7: 1,
  8: 2,
  9: 4,
  10: 8,
  11: 4,
  12: 8,
};

/** Compressions the inference service's decoder reads: none, CCITT 1D/G3/G4, LZW, JPEG, Deflate, PackBits. */
const COMPRESSIONS = new Set([1, 2, 3, 4, 5, 7, 8, 32773, 32946]);

/** More entries than any real first directory has (baseline needs about 15; GeoTIFF/EXIF add tens). */
export const MAX_TIFF_ENTRIES = 1000;
/** Values read from a wanted field; width, height and the like have one, BitsPerSample one per sample. */
const MAX_WANTED_VALUES = 16;

const corrupt = (detail: string): ProbeResult => ({ ok: false, problem: "corrupt", detail });

/** `need(from, to)`: null when bytes `[from, to)` are at hand, else the `need_more` asking for them. */
type Need = ProbeResult | null;

function reader(b: KnownBytes, little: boolean) {
  const u16 = (i: number) => (little ? b.at(i) | (b.at(i + 1) << 8) : (b.at(i) << 8) | b.at(i + 1));
  const u32 = (i: number) =>
    little ? (u16(i) + u16(i + 2) * 65536) >>> 0 : (u16(i) * 65536 + u16(i + 2)) >>> 0;
  const need = (from: number, to: number): Need =>
    b.has(from, to) ? null : { ok: false, problem: "need_more", from, offset: to };
  return { u16, u32, need };
}

/** The wanted fields' values; every field's type is checked and its values must lie in the file. */
function readFields(
  b: KnownBytes,
  little: boolean,
  ifd: number,
  entries: number,
  totalBytes: number,
): { values: Partial<Record<number, number[]>> } | { failure: ProbeResult } {
  const { u16, u32, need } = reader(b, little);
  const values: Partial<Record<number, number[]>> = {};
  for (let n = 0; n < entries; n++) {
    const at = ifd + 2 + n * 12;
    const [tag, type, count] = [u16(at), u16(at + 2), u32(at + 4)];
    const size = TYPE_SIZES[type];
    if (!size) return { failure: corrupt(`TIFF field ${tag} has an invalid type ${type}`) };
    const bytes = size * count;
    // Values of up to four bytes sit in the entry; larger ones (StripOffsets, TileByteCounts, ...)
    // at an offset, and must lie inside the file (which is at most MAX_IMAGE_BYTES long).
    const valueAt = bytes <= 4 ? at + 8 : u32(at + 8);
    if (bytes > 4 && (valueAt < 8 || valueAt + bytes > totalBytes)) {
      return { failure: corrupt(`TIFF field ${tag} points outside the file`) };
    }
    if (!WANTED.has(tag)) continue;
    if (type !== 3 && type !== 4) return { failure: corrupt(`TIFF field ${tag} must be SHORT or LONG`) };
    if (count > MAX_WANTED_VALUES) return { failure: corrupt(`TIFF field ${tag} has ${count} values`) };
    const missing = need(valueAt, valueAt + bytes);
    if (missing) return { failure: missing };
    values[tag] = Array.from({ length: count }, (_, k) =>
      type === 3 ? u16(valueAt + 2 * k) : u32(valueAt + 4 * k),
    );
  }
  return { values };
}

/** Sizes, depths and compression, as the standard and the decoders allow them. */
function imageInfo(values: Partial<Record<number, number[]>>): ProbeResult {
  const one = (tag: number) => (values[tag]?.length === 1 ? values[tag][0] : undefined);
  const [width, height] = [one(TAGS.width), one(TAGS.height)];
  if (!width || !height) return corrupt("TIFF without one image width and one height");
  const samples = one(TAGS.samplesPerPixel) ?? 1;
  if (samples < 1 || samples > 4) return corrupt(`TIFF with ${samples} samples per pixel`);
  const depths = values[TAGS.bitsPerSample] ?? [1];
  const bitDepth = depths[0] ?? 1;
  if (depths.some((depth) => depth !== bitDepth) || ![1, 2, 4, 8, 16, 32].includes(bitDepth)) {
    return corrupt(`TIFF bits per sample ${depths.join(",")} are not allowed`);
  }
  const compression = one(TAGS.compression) ?? 1;
  if (!COMPRESSIONS.has(compression)) {
    return { ok: false, problem: "unsupported", detail: `TIFF compression ${compression} is not supported` };
  }
  return { ok: true, format: "tiff", width, height, bitDepth };
}

/**
 * Reads the first directory and checks what the standard fixes: field types, that every value
 * lies inside the file, and the sizes, depths and compression. Only the first directory is read,
 * so loops in the chain of directories cannot trap the probe (the viewer reads only the first too).
 */
export function probeTiff(b: KnownBytes, totalBytes: number): ProbeResult {
  const { u16, u32, need } = reader(b, b.at(0) === 0x49);
  const ifd = u32(4);
  if (ifd < 8 || ifd + 2 > totalBytes) return corrupt("TIFF directory offset points outside the file");
  const count = need(ifd, ifd + 2);
  if (count) return count;
  const entries = u16(ifd);
  if (entries === 0 || entries > MAX_TIFF_ENTRIES) return corrupt(`TIFF directory with ${entries} entries`);
  const end = ifd + 2 + entries * 12 + 4;
  if (end > totalBytes) return corrupt("TIFF directory runs past the end of the file");
  const directory = need(ifd, end);
  if (directory) return directory;
  const fields = readFields(b, b.at(0) === 0x49, ifd, entries, totalBytes);
  return "failure" in fields ? fields.failure : imageInfo(fields.values);
}

/** What one ranged read asks for at least: a whole directory of MAX_TIFF_ENTRIES fits. */
export const TIFF_RANGE_READ_BYTES = 16 * 1024;
/** The directory, then each wanted field's out-of-line values (five at most), with room to spare. */
export const MAX_TIFF_RANGE_READS = 8;

/** Reads `length` bytes of the stored file from `offset`. */
export type RangeRead = (offset: number, length: number) => Promise<Uint8Array>;

/**
 * Probes a TIFF whose directory lies beyond `head`, reading what it needs from the stored file: at
 * most MAX_TIFF_RANGE_READS ranges of TIFF_RANGE_READ_BYTES (more only for a field's values, which
 * are bounded by MAX_WANTED_VALUES), so memory stays bounded whatever the file's size.
 */
export async function probeTiffByRanges(read: RangeRead, head: Uint8Array, totalBytes: number) {
  const known = new KnownRanges();
  known.add(0, head);
  for (let reads = 0; ; reads++) {
    const result = probeTiff(known, totalBytes);
    if (result.ok || result.problem !== "need_more") return result;
    if (reads === MAX_TIFF_RANGE_READS) return corrupt("TIFF directory could not be read from the file");
    const from = result.from ?? 0;
    const to = Math.min(totalBytes, Math.max(result.offset, from + TIFF_RANGE_READ_BYTES));
    known.add(from, await read(from, to - from));
  }
}
