import { describe, expect, test } from "bun:test";
import { type TiffLayout, writeTiff } from "@generator/tiff";
import { decodeFilm } from "../src/viewer/film-decoders";
import { filmFormat } from "../src/viewer/film-format";

/**
 * The viewer's TIFF decoder (UTIF, on the whole file) on films whose directory follows the pixel
 * data, as libtiff writes them: every layout keeps its 16-bit values exactly, and a chain of
 * directories that loops back does not hang it.
 */
const WIDTH = 300;
const HEIGHT = 170;
const values = Uint16Array.from({ length: WIDTH * HEIGHT }, (_, i) => (i * 40503 + 11) & 0xffff);

const layouts: TiffLayout[] = (["II", "MM"] as const).flatMap((byteOrder) =>
  (["none", "lzw", "deflate"] as const).flatMap((compression) =>
    (["strips", "tiles"] as const).map((organisation) => ({ byteOrder, compression, organisation })),
  ),
);

function decodeTiff(file: Uint8Array) {
  const format = filmFormat(file);
  expect(format).toBe("tiff");
  return decodeFilm(file, "tiff");
}

describe("viewer: TIFF with its directory after the pixels", () => {
  test.each(layouts.map((l) => [`${l.byteOrder} ${l.compression} ${l.organisation}`, l] as const))(
    "%s keeps its 16-bit values",
    (_, layout) => {
      const film = decodeTiff(writeTiff({ width: WIDTH, height: HEIGHT, values }, layout));
      expect(film).toMatchObject({ width: WIDTH, height: HEIGHT, channels: 1, info: { bitsStored: 16 } });
      expect(Array.from(film.values)).toEqual(Array.from(values));
    },
  );

  test("a directory naming itself as the next one is read once", () => {
    const file = writeTiff({ width: WIDTH, height: HEIGHT, values }, { compression: "lzw" });
    const view = new DataView(file.buffer);
    const ifd = view.getUint32(4, true);
    view.setUint32(ifd + 2 + view.getUint16(ifd, true) * 12, ifd, true);
    const film = decodeTiff(file);
    expect(Array.from(film.values)).toEqual(Array.from(values));
    // The decoder worked on its own copy.
    expect(view.getUint32(ifd + 2 + view.getUint16(ifd, true) * 12, true)).toBe(ifd);
  });

  test("a 3840 × 3840 16-bit film of 29 MB opens", () => {
    const big = Uint16Array.from({ length: 3840 * 3840 }, (_, i) => 1000 + (i % 3840) * 3);
    const film = decodeTiff(writeTiff({ width: 3840, height: 3840, values: big }));
    expect(film).toMatchObject({ width: 3840, height: 3840, info: { bitsStored: 16 } });
    expect(film.values[3839]).toBe(1000 + 3839 * 3);
    expect(film.values[3840 * 3840 - 1]).toBe(1000 + 3839 * 3);
  }, 60_000);
});
