import { describe, expect, test } from "bun:test";
import { probeImage } from "@edge/images/probe";
import {
  leadingBytes,
  MAX_TIFF_RANGE_READS,
  probeTiff,
  probeTiffByRanges,
  TIFF_RANGE_READ_BYTES,
} from "@edge/images/tiff-directory";
import { type TiffLayout, writeTiff } from "@generator/tiff";

const HEAD = 64 * 1024;

function film(width: number, height: number, bits: 8 | 16 = 16) {
  const values = bits === 16 ? new Uint16Array(width * height) : new Uint8Array(width * height);
  for (let i = 0; i < values.length; i++) values[i] = (i * 2654435761) % (bits === 16 ? 65536 : 256);
  return { width, height, values };
}

/** Probes `file` as an upload is: its head from the stream, the rest by ranged reads, recorded. */
async function probeByRanges(file: Uint8Array) {
  const reads: Array<[number, number]> = [];
  const result = await probeTiffByRanges(
    async (offset, length) => {
      reads.push([offset, length]);
      return file.slice(offset, offset + length);
    },
    file.subarray(0, HEAD),
    file.length,
  );
  return { result, reads };
}

const layouts: TiffLayout[] = (["II", "MM"] as const).flatMap((byteOrder) =>
  (["none", "lzw", "deflate"] as const).flatMap((compression) =>
    (["strips", "tiles"] as const).map((organisation) => ({ byteOrder, compression, organisation })),
  ),
);

describe("a TIFF directory after the pixels, read by ranges", () => {
  test.each(layouts.map((l) => [`${l.byteOrder} ${l.compression} ${l.organisation}`, l] as const))(
    "%s: read in at most two small ranges",
    async (_, layout) => {
      const file = writeTiff(film(700, 400), layout);
      expect(probeImage(file.subarray(0, HEAD), file.length)).toMatchObject({
        ok: false,
        problem: "need_more",
      });
      const { result, reads } = await probeByRanges(file);
      expect(result).toEqual({ ok: true, format: "tiff", width: 700, height: 400, bitDepth: 16 });
      expect(reads.length).toBeLessThanOrEqual(2);
      for (const [, length] of reads) expect(length).toBeLessThanOrEqual(TIFF_RANGE_READ_BYTES);
    },
  );

  test("the whole file at hand gives the same answer", () => {
    const file = writeTiff(film(700, 400), { byteOrder: "MM", organisation: "tiles" });
    expect(probeTiff(leadingBytes(file), file.length)).toEqual({
      ok: true,
      format: "tiff",
      width: 700,
      height: 400,
      bitDepth: 16,
    });
  });

  test("3-sample BitsPerSample stored out of line is read by its own range", async () => {
    const file = writeTiff(film(400, 300, 8), { compression: "lzw" });
    const view = new DataView(file.buffer);
    const ifd = view.getUint32(4, true);
    // BitsPerSample (the third entry) → three SHORTs at the last 8 bytes of the file.
    view.setUint32(ifd + 2 + 2 * 12 + 4, 3, true);
    view.setUint32(ifd + 2 + 2 * 12 + 8, 8, true);
    file.set([8, 0, 8, 0, 8, 0], 8);
    const { result } = await probeByRanges(file);
    expect(result).toMatchObject({ ok: true, bitDepth: 8 });
  });
});

/** A directory-last film with one change made to its bytes. */
function hostile(change: (view: DataView, ifd: number) => void, layout: TiffLayout = {}) {
  const file = writeTiff(film(600, 200), layout);
  const view = new DataView(file.buffer);
  change(view, view.getUint32(4, layout.byteOrder !== "MM"));
  return file;
}

describe("hostile directories are refused with a stable reason, within bounded reads", () => {
  test.each([
    ["its offset past the end of the file", (v: DataView) => v.setUint32(4, 0x7fff_fff0, true), /outside/],
    ["its offset inside the header", (v: DataView) => v.setUint32(4, 4, true), /outside/],
    ["a huge entry count", (v: DataView, ifd: number) => v.setUint16(ifd, 0xffff, true), /65535 entries/],
    [
      "entries running past the end",
      (v: DataView, ifd: number) => v.setUint16(ifd, 900, true),
      /past the end/,
    ],
    [
      "StripOffsets out of bounds",
      (v: DataView, ifd: number) => v.setUint32(ifd + 2 + 5 * 12 + 4, 1_000_000, true),
      /field 273 points outside/,
    ],
    [
      "StripByteCounts pointing past the end",
      (v: DataView, ifd: number) => v.setUint32(ifd + 2 + 8 * 12 + 8, v.byteLength - 4, true),
      /field 279 points outside/,
    ],
    ["an invalid field type", (v: DataView, ifd: number) => v.setUint16(ifd + 2 + 2, 99, true), /type 99/],
  ] as const)("%s", async (_, change, detail) => {
    const { result, reads } = await probeByRanges(hostile(change));
    expect(result).toMatchObject({ ok: false, problem: "corrupt" });
    expect(result.ok ? "" : "detail" in result ? result.detail : "").toMatch(detail);
    expect(reads.length).toBeLessThanOrEqual(MAX_TIFF_RANGE_READS);
  });

  test("a directory naming itself as the next one is read once", async () => {
    const file = hostile((v, ifd) => v.setUint32(ifd + 2 + v.getUint16(ifd, true) * 12, ifd, true));
    const { result, reads } = await probeByRanges(file);
    expect(result).toMatchObject({ ok: true, width: 600, height: 200 });
    expect(reads).toHaveLength(1);
  });

  test("an unknown compression is unsupported, in big-endian files too", async () => {
    const file = hostile((v, ifd) => v.setUint16(ifd + 2 + 3 * 12 + 8, 50_000, false), { byteOrder: "MM" });
    expect((await probeByRanges(file)).result).toMatchObject({ ok: false, problem: "unsupported" });
  });

  test("BigTIFF is refused by name", () => {
    const big = new Uint8Array(64);
    big.set([0x49, 0x49, 0x2b, 0x00, 8, 0, 0, 0]);
    expect(probeImage(big, big.length)).toMatchObject({ ok: false, problem: "unsupported" });
    const result = probeImage(Uint8Array.from([0x4d, 0x4d, 0x00, 0x2b, 0, 8, 0, 0]), 8);
    expect(result.ok ? "" : "detail" in result ? result.detail : "").toContain("BigTIFF");
  });
});
