import { describe, expect, test } from "bun:test";
import { mapValue, resolveMapping, windowBounds } from "@common/imaging/intensity";
import { TRANSFER_SYNTAX_UIDS, writeDiconde } from "@generator/diconde";
import { imageFixtures } from "@scripts/testing/image-fixtures";
import { encode as encodePng } from "fast-png";
import sharp from "sharp";
import { autoWindow, defaultWindow, type Film, filmHistogram, renderFilm } from "../src/viewer/film";
import { decodeFilm } from "../src/viewer/film-decoders";
import { filmFormat } from "../src/viewer/film-format";
import { filmValueRange } from "../src/viewer/window-presets";

const WIDTH = 40;
const HEIGHT = 30;
/** Values that use all 16 bits (an 8-bit path would lose the low byte). */
const wide = Uint16Array.from({ length: WIDTH * HEIGHT }, (_, i) => (i * 1031 + 7) % 65536);
/** 12-bit detector values. */
const twelveBit = Uint16Array.from({ length: WIDTH * HEIGHT }, (_, i) => (i * 37) % 4096);
const grey8 = Uint8Array.from({ length: WIDTH * HEIGHT }, (_, i) => (i * 13) % 256);

const bytes = (buffer: Uint8Array | Buffer) => new Uint8Array(buffer);
const greySharp = () =>
  sharp(Buffer.from(grey8), { raw: { width: WIDTH, height: HEIGHT, channels: 1 } }).toColourspace("b-w");
const decoded = (data: Uint8Array) => {
  const format = filmFormat(data);
  if (format === "browser") throw new Error("expected a JavaScript-decoded format");
  return decodeFilm(data, format);
};

describe("which decoder a film needs", () => {
  test("PNG, TIFF (either byte order) and DICONDE by their signatures; JPEG and WebP go to the browser", async () => {
    expect(filmFormat(bytes(await imageFixtures.png16()))).toBe("png");
    expect(filmFormat(bytes(await imageFixtures.png()))).toBe("png");
    expect(filmFormat(bytes(await imageFixtures.tiff16()))).toBe("tiff");
    expect(filmFormat(bytes(await imageFixtures.tiff16BigEndian()))).toBe("tiff");
    expect(filmFormat(bytes(await imageFixtures.dicom()))).toBe("dicom");
    expect(filmFormat(bytes(await imageFixtures.jpeg()))).toBe("browser");
    expect(filmFormat(bytes(await imageFixtures.webp()))).toBe("browser");
    expect(filmFormat(new Uint8Array(4))).toBe("browser");
  });
});

describe("decoding keeps the stored values", () => {
  test("16-bit greyscale PNG: every value, all 16 bits", () => {
    const png = encodePng({ width: WIDTH, height: HEIGHT, data: wide, depth: 16, channels: 1 });
    const film = decoded(png);
    expect(film).toMatchObject({ width: WIDTH, height: HEIGHT, channels: 1, info: { bitsStored: 16 } });
    expect(film.values).toBeInstanceOf(Uint16Array);
    expect(Array.from(film.values)).toEqual(Array.from(wide));
  });

  test("16-bit greyscale TIFF, little and big endian, uncompressed", async () => {
    const expected = Array.from({ length: 64 * 48 }, (_, i) => (i * 257) % 65536);
    for (const tiff of [await imageFixtures.tiff16(), await imageFixtures.tiff16BigEndian()]) {
      const film = decoded(bytes(tiff));
      expect(film).toMatchObject({ width: 64, height: 48, channels: 1, info: { bitsStored: 16 } });
      expect(Array.from(film.values)).toEqual(expected);
    }
  });

  test("8-bit greyscale TIFF in LZW strips with a predictor, in Deflate tiles, and as 8-bit PNG", async () => {
    const files = [
      await greySharp().tiff({ compression: "lzw", predictor: "horizontal" }).toBuffer(),
      await greySharp()
        .tiff({ compression: "deflate", tile: true, tileWidth: 16, tileHeight: 16 })
        .toBuffer(),
      await greySharp().png().toBuffer(),
    ];
    for (const file of files) {
      const film = decoded(bytes(file));
      expect(film).toMatchObject({ width: WIDTH, height: HEIGHT, channels: 1, info: { bitsStored: 8 } });
      expect(Array.from(film.values)).toEqual(Array.from(grey8));
    }
  });

  test("colour images become 8-bit RGBA", async () => {
    const rgb = await sharp({
      create: { width: 4, height: 3, channels: 3, background: { r: 200, g: 100, b: 50 } },
    })
      .png()
      .toBuffer();
    const film = decoded(bytes(rgb));
    expect(film.channels).toBe(4);
    expect(Array.from(film.values.subarray(0, 8))).toEqual([200, 100, 50, 255, 200, 100, 50, 255]);
  });

  test("DICONDE through the shared reader: native, RLE and JPEG Lossless give the same values and the file's window", () => {
    for (const transferSyntax of [
      TRANSFER_SYNTAX_UIDS.explicitLittle,
      TRANSFER_SYNTAX_UIDS.rle,
      TRANSFER_SYNTAX_UIDS.jpegLossless,
    ]) {
      const film = decoded(
        writeDiconde({
          width: WIDTH,
          height: HEIGHT,
          values: twelveBit,
          bitsAllocated: 16,
          bitsStored: 12,
          transferSyntax,
          photometric: "MONOCHROME1",
          window: { center: 1500, width: 800 },
        }),
      );
      expect(film).toMatchObject({
        width: WIDTH,
        height: HEIGHT,
        channels: 1,
        info: { bitsStored: 12, photometric: "MONOCHROME1", window: { center: 1500, width: 800 } },
      });
      expect(Array.from(film.values)).toEqual(Array.from(twelveBit));
    }
  });

  test("a DICONDE file the platform cannot decode is refused with the shared reader's reason", () => {
    const file = writeDiconde({
      width: 2,
      height: 2,
      values: new Uint16Array(4),
      bitsAllocated: 16,
      transferSyntax: "1.2.840.10008.1.2.4.90",
      encapsulatedFrame: new Uint8Array(16),
    });
    expect(() => decoded(file)).toThrow(/JPEG 2000.*not supported/);
  });
});

describe("windowing a decoded film with the shared mapping", () => {
  const greyFilm = (values: Uint16Array, info: Film["info"]): Film => ({
    width: values.length,
    height: 1,
    channels: 1,
    values,
    info,
  });
  const render = (film: Film, window: { center: number; width: number }) => {
    const target = new Uint8ClampedArray(film.width * film.height * 4);
    renderFilm(film, window, target);
    return target;
  };

  test("each pixel shows the shared mapping of its stored value, grey and opaque", () => {
    const film = greyFilm(Uint16Array.from([0, 30_000, 30_001, 30_002, 30_003, 65_535]), { bitsStored: 16 });
    const window = { center: 30_002, width: 4 };
    const mapping = resolveMapping({ bitsStored: 16, window }, null);
    const target = render(film, window);
    film.values.forEach((stored, p) => {
      const expected = Math.round(255 * mapValue(stored, mapping));
      expect(Array.from(target.subarray(p * 4, p * 4 + 4))).toEqual([expected, expected, expected, 255]);
    });
    // Neighbouring 16-bit values are told apart: what an 8-bit copy could not do.
    expect(new Set([target[4], target[8], target[12]]).size).toBe(3);
  });

  test("MONOCHROME1 is inverted and the rescale applies: windows are in modality values", () => {
    const film = greyFilm(Uint16Array.from([0, 100, 200]), {
      bitsStored: 12,
      photometric: "MONOCHROME1",
      rescale: { slope: 2, intercept: -100 },
    });
    // Modality values −100, 100, 300; a window from 100 to 300.
    const target = render(film, { center: 200.5, width: 201 });
    expect([target[0], target[4], target[8]]).toEqual([255, 255, 0]);
    // The window controls span the values the film holds, not all a 12-bit file could.
    expect(filmValueRange(filmHistogram(film), film.info.rescale)).toEqual({ min: -100, max: 300 });
  });

  test("the default window is the file's own; without one, the shared mapping's percentiles", () => {
    const withWindow = greyFilm(twelveBit, { bitsStored: 12, window: { center: 1500, width: 800 } });
    expect(defaultWindow(withWindow, filmHistogram(withWindow))).toEqual({ center: 1500, width: 800 });

    const png = greyFilm(wide, { bitsStored: 16 });
    const histogram = filmHistogram(png);
    const window = defaultWindow(png, histogram);
    const mapping = resolveMapping(png.info, histogram);
    expect(mapping.source).toBe("percentiles");
    expect(windowBounds(window)).toEqual({ low: mapping.low, high: mapping.high });

    const eightBit = greyFilm(Uint16Array.from(grey8), { bitsStored: 8 });
    expect(defaultWindow(eightBit, filmHistogram(eightBit))).toEqual({ center: 128, width: 256 });
  });

  test("the automatic window spans the film's own values, in its own units", () => {
    // Values between 40 000 and 40 100 only: the window must sit there, not span 0–65 535.
    const narrow = greyFilm(
      Uint16Array.from({ length: 10_000 }, (_, i) => 40_000 + (i % 101)),
      { bitsStored: 16 },
    );
    const { low, high } = windowBounds(autoWindow(narrow, filmHistogram(narrow)));
    expect(low).toBeGreaterThanOrEqual(40_000);
    expect(low).toBeLessThanOrEqual(40_002);
    expect(high).toBeGreaterThanOrEqual(40_098);
    expect(high).toBeLessThanOrEqual(40_100);
  });

  test("colour pixels are windowed channel by channel, alpha kept", () => {
    const film: Film = {
      width: 1,
      height: 1,
      channels: 4,
      values: Uint8ClampedArray.from([95, 100, 105, 77]),
      info: { bitsStored: 8 },
    };
    const window = { center: 100, width: 20 };
    const mapping = resolveMapping({ bitsStored: 8, window }, null);
    expect(Array.from(render(film, window))).toEqual([
      Math.round(255 * mapValue(95, mapping)),
      Math.round(255 * mapValue(100, mapping)),
      Math.round(255 * mapValue(105, mapping)),
      77,
    ]);
  });
});
