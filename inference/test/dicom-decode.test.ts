/**
 * DICONDE files as the inference service reads them (issue #15): written by dcmjs in every
 * supported transfer syntax, decoded to the model's 8-bit raster through the shared intensity
 * mapping, and refused with the shared codes when they cannot be.
 */
import { describe, expect, test } from "bun:test";
import { MODEL_LEVELS, mapToBytes } from "@common/imaging/intensity";
import { type DicondeFile, TRANSFER_SYNTAX_UIDS, writeDiconde } from "@generator/diconde";
import { encodeJpegLossless } from "@generator/jpeg-lossless";
import sharp from "sharp";
import { InferenceError } from "../src/errors";
import { decodeToSize, probeImage } from "../src/image/decode";
import { DEFAULT_INTENSITY } from "../src/image/intensity-options";

const WIDTH = 48;
const HEIGHT = 20;
/** 14-bit detector counts with structure, so the mapping has something to show. */
const COUNTS = Uint16Array.from({ length: WIDTH * HEIGHT }, (_, i) => 1000 + ((i * 97) % 12_000));
const WINDOW = { center: 7000, width: 12_000 };

const film = (file: Partial<DicondeFile> = {}) =>
  writeDiconde({
    width: WIDTH,
    height: HEIGHT,
    values: COUNTS,
    bitsAllocated: 16,
    bitsStored: 14,
    pixelSpacing: [0.1, 0.1],
    window: WINDOW,
    ...file,
  });

const expected = (info: Parameters<typeof mapToBytes>[1]) =>
  Array.from(mapToBytes(COUNTS, info, DEFAULT_INTENSITY.percentiles, DEFAULT_INTENSITY.levels).bytes);

const decode = (bytes: Uint8Array, grey = true) =>
  decodeToSize(bytes, WIDTH, HEIGHT, 100_000_000, grey, DEFAULT_INTENSITY);

async function codeOf(run: () => Promise<unknown>) {
  try {
    await run();
  } catch (error) {
    expect(error).toBeInstanceOf(InferenceError);
    return (error as InferenceError).code;
  }
  return null;
}

describe("decoding DICONDE files", () => {
  test("the header gives the size; one grey channel", async () => {
    expect(await probeImage(film(), 100_000_000)).toEqual({
      width: WIDTH,
      height: HEIGHT,
      format: "dicom",
      channels: 1,
      depth: "ushort",
    });
  });

  test.each(Object.entries(TRANSFER_SYNTAX_UIDS))(
    "%s: the file's window maps its values to the model's levels",
    async (_, transferSyntax) => {
      const raster = await decode(film({ transferSyntax }));
      expect(raster).toMatchObject({ width: WIDTH, height: HEIGHT, channels: 1 });
      const want = expected({ bitsStored: 14, window: WINDOW });
      expect(Array.from(raster.data)).toEqual(want);
      // The window covers the values: its ends are the model's levels.
      expect(Math.min(...want)).toBe(Math.round(255 * MODEL_LEVELS.black));
    },
  );

  test("without a window, the values' percentiles are the window; rescale and MONOCHROME1 apply", async () => {
    const plain = await decode(film({ window: undefined }));
    expect(Array.from(plain.data)).toEqual(expected({ bitsStored: 14 }));
    expect(Math.max(...plain.data) - Math.min(...plain.data)).toBeGreaterThan(100);
    const inverted = await decode(film({ window: undefined, photometric: "MONOCHROME1" }));
    expect(Array.from(inverted.data)).toEqual(expected({ bitsStored: 14, photometric: "MONOCHROME1" }));
    // Inversion swaps the darkest and brightest pixels.
    const darkest = plain.data.indexOf(Math.min(...plain.data));
    expect(inverted.data[darkest]).toBe(Math.max(...inverted.data));
    // A window in modality values: slope 2 moves the window to stored values half as large.
    const rescaled = await decode(
      film({ rescale: { slope: 2, intercept: 0 }, window: { center: 14_000, width: 24_000 } }),
    );
    const same = expected({ bitsStored: 14, window: WINDOW });
    // Equal up to rounding of the window's ends.
    expect(
      Math.max(...Array.from(rescaled.data, (v, i) => Math.abs(v - (same[i] as number)))),
    ).toBeLessThanOrEqual(1);
    expect(rescaled.data.filter((v, i) => v !== same[i]).length).toBeLessThan(same.length / 50);
  });

  test("an RGB decode repeats the grey value in each channel; other sizes are resized", async () => {
    const rgb = await decode(film(), false);
    const grey = await decode(film());
    expect(rgb.channels).toBe(3);
    expect(Array.from(rgb.data.subarray(0, 6))).toEqual(
      [0, 0, 0, 1, 1, 1].map((i) => grey.data[i] as number),
    );
    const half = await decodeToSize(film(), WIDTH / 2, HEIGHT / 2, 100_000_000, true, DEFAULT_INTENSITY);
    expect(half).toMatchObject({ width: WIDTH / 2, height: HEIGHT / 2, channels: 1 });
  });

  test.each([
    [
      "JPEG 2000 pixel data",
      () => film({ transferSyntax: "1.2.840.10008.1.2.4.91", encapsulatedFrame: new Uint8Array(32) }),
      "unsupported_transfer_syntax",
    ],
    ["colour", () => film({ overrides: { PhotometricInterpretation: "RGB" } }), "unsupported_image_type"],
    ["a file cut inside its pixel data", () => film().subarray(0, 1200), "image_corrupt"],
    [
      "RLE data shorter than its frame",
      () => film({ transferSyntax: TRANSFER_SYNTAX_UIDS.rle, overrides: { Rows: 400 } }),
      "image_corrupt",
    ],
  ] as const)("%s is refused with its code", async (_, make, code) => {
    expect(await codeOf(() => probeImage(make(), 100_000_000).then(() => decode(make())))).toBe(code);
  });

  test("more pixels than the limit is image_too_many_pixels before anything is decoded", async () => {
    expect(await codeOf(() => probeImage(film(), WIDTH * HEIGHT - 1))).toBe("image_too_many_pixels");
    expect(await codeOf(() => decodeToSize(film(), WIDTH, HEIGHT, 100, true))).toBe("image_too_many_pixels");
  });

  test("JPEG Lossless: full 16-bit range and 8-bit frames decode to the values that were encoded", async () => {
    // Alternating extremes force every difference category, 16 (a difference of 32768) included.
    const extremes = Uint16Array.from({ length: WIDTH * HEIGHT }, (_, i) =>
      i % 3 === 0 ? 0 : i % 3 === 1 ? 65535 : 32768,
    );
    const full = {
      width: WIDTH,
      height: HEIGHT,
      values: extremes,
      bitsAllocated: 16 as const,
      window: WINDOW,
    };
    const native = await decode(writeDiconde(full));
    for (const transferSyntax of [TRANSFER_SYNTAX_UIDS.jpegLossless, TRANSFER_SYNTAX_UIDS.jpegLosslessSv1]) {
      expect(Array.from((await decode(writeDiconde({ ...full, transferSyntax }))).data)).toEqual(
        Array.from(native.data),
      );
    }
    const bytes = Uint8Array.from({ length: WIDTH * HEIGHT }, (_, i) => (i * 7) % 256);
    const eight = { width: WIDTH, height: HEIGHT, values: bytes, bitsAllocated: 8 as const };
    expect(
      Array.from(
        (await decode(writeDiconde({ ...eight, transferSyntax: TRANSFER_SYNTAX_UIDS.jpegLossless }))).data,
      ),
    ).toEqual(Array.from((await decode(writeDiconde(eight))).data));
  });

  test("a JPEG Lossless codestream that disagrees with the DICOM header is corrupt, before it is decoded", async () => {
    const lossless = (frame: Uint8Array) =>
      film({ transferSyntax: TRANSFER_SYNTAX_UIDS.jpegLosslessSv1, encapsulatedFrame: frame });
    // Declares 60,000 × 60,000 samples in a few hundred bytes: never allocated.
    const bomb = encodeJpegLossless(new Uint16Array(4), 2, 2, 14);
    bomb.set([0xea, 0x60, 0xea, 0x60], 7);
    const smaller = encodeJpegLossless(COUNTS.subarray(0, WIDTH * 10), WIDTH, 10, 14);
    const lossy = new Uint8Array(
      await sharp(Buffer.alloc(WIDTH * HEIGHT, 128), { raw: { width: WIDTH, height: HEIGHT, channels: 1 } })
        .jpeg()
        .toBuffer(),
    );
    for (const [frame, message] of [
      [bomb, /60000x60000/],
      [smaller, /48x10/],
      [lossy, /not lossless/],
      [new Uint8Array([0xff, 0xd8, 0xff, 0xc4, 0, 2]), /no frame header/],
    ] as const) {
      const error = await decode(lossless(frame)).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InferenceError);
      expect((error as InferenceError).code).toBe("image_corrupt");
      expect((error as InferenceError).message).toMatch(message);
    }
  });
});
