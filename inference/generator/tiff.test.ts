import { describe, expect, test } from "bun:test";
import sharp from "sharp";
import * as UTIF from "utif2";
import { encodeTiff } from "./png";
import { createPlane } from "./raster";
import { type TiffLayout, writeTiff } from "./tiff";

/** A film-like plane with structure on every scale, so compressors see real data. */
function plane(width: number, height: number) {
  const out = createPlane(width, height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      out.data[y * width + x] =
        0.5 + 0.3 * Math.sin(x / 17) * Math.cos(y / 11) + 0.1 * (((x * 31 + y * 17) % 13) / 13);
    }
  }
  return out;
}

const layouts: TiffLayout[] = (["II", "MM"] as const).flatMap((byteOrder) =>
  (["none", "lzw", "deflate"] as const).flatMap((compression) =>
    (["strips", "tiles"] as const).map((organisation) => ({ byteOrder, compression, organisation })),
  ),
);

const name = (l: TiffLayout) => `${l.byteOrder} ${l.compression} ${l.organisation}`;

describe("TIFF in libtiff's layout", () => {
  const film = plane(300, 170);
  const values = Uint16Array.from(film.data, (v) => Math.round(v * 65535));

  test.each(layouts.map((l) => [name(l), l] as const))(
    "%s: the directory follows the pixels and libvips reads the values back exactly",
    async (_, layout) => {
      const file = Buffer.from(writeTiff({ width: 300, height: 170, values }, layout));
      const little = layout.byteOrder === "II";
      expect(file.subarray(0, 2).toString("latin1")).toBe(layout.byteOrder as string);
      const directory = little ? file.readUInt32LE(4) : file.readUInt32BE(4);
      expect(directory).toBeGreaterThan(file.length / 2);
      const { data, info } = await sharp(file)
        .toColourspace("grey16")
        .raw({ depth: "ushort" })
        .toBuffer({ resolveWithObject: true });
      expect([info.width, info.height, info.channels]).toEqual([300, 170, 1]);
      const decoded = new Uint16Array(data.buffer, data.byteOffset, data.byteLength / 2);
      expect(
        Buffer.from(decoded.buffer, decoded.byteOffset, decoded.byteLength).equals(
          Buffer.from(values.buffer),
        ),
      ).toBe(true);
    },
  );

  test.each(layouts.map((l) => [name(l), l] as const))(
    "%s: UTIF reads the values back exactly",
    (_, layout) => {
      const file = writeTiff({ width: 300, height: 170, values }, layout);
      const buffer = file.buffer.slice(file.byteOffset, file.byteOffset + file.byteLength) as ArrayBuffer;
      const [ifd] = UTIF.decode(buffer);
      if (!ifd) throw new Error("no directory");
      UTIF.decodeImage(buffer, ifd);
      const decoded = Uint16Array.from({ length: values.length }, (_, i) => {
        const [a, b] = [ifd.data[2 * i] as number, ifd.data[2 * i + 1] as number];
        return a | (b << 8);
      });
      expect(Buffer.from(decoded.buffer).equals(Buffer.from(values.buffer))).toBe(true);
    },
  );

  test("8-bit films and a directory first round-trip too", async () => {
    const bytes = Uint8Array.from(film.data, (v) => Math.round(v * 255));
    const file = writeTiff(
      { width: 300, height: 170, values: bytes },
      { compression: "lzw", directory: "first" },
    );
    expect(Buffer.from(file).readUInt32LE(4)).toBe(8);
    const { data } = await sharp(file).toColourspace("b-w").raw().toBuffer({ resolveWithObject: true });
    expect(Buffer.from(data).equals(Buffer.from(bytes))).toBe(true);
  });

  test("LZW survives its table filling up many times over (noise)", async () => {
    let state = 7;
    const noise = Uint8Array.from({ length: 640 * 480 }, () => {
      state = (state * 1103515245 + 12345) >>> 0;
      return state >>> 24;
    });
    const file = writeTiff({ width: 640, height: 480, values: noise }, { compression: "lzw" });
    const { data } = await sharp(file).toColourspace("b-w").raw().toBuffer({ resolveWithObject: true });
    expect(Buffer.from(data).equals(Buffer.from(noise))).toBe(true);
  });

  test("encodeTiff keeps libvips' output unless a layout is asked for; both hold the same values", async () => {
    const viaSharp = await encodeTiff(film, 16, "detector");
    const again = await encodeTiff(film, 16, "detector");
    expect(viaSharp.equals(again)).toBe(true);
    const written = await encodeTiff(film, 16, "detector", { compression: "deflate", organisation: "tiles" });
    expect(written.equals(viaSharp)).toBe(false);
    const grey = (file: Buffer) => sharp(file).toColourspace("grey16").raw({ depth: "ushort" }).toBuffer();
    expect((await grey(written)).equals(await grey(viaSharp))).toBe(true);
  });
});
