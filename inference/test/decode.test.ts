import { describe, expect, test } from "bun:test";
import { MODEL_LEVELS } from "@common/imaging/intensity";
import sharp from "sharp";
import { InferenceError } from "../src/errors";
import { decodeResized, isGrey, probeImage } from "../src/image/decode";
import { computeLetterbox } from "../src/image/letterbox";
import { gifImage, solidImage } from "./fixtures";

const LIMIT = 10_000_000;

/** Decodes at the image's own size, so pixels can be compared one to one. */
async function decodeAsIs(bytes: Uint8Array) {
  const info = await probeImage(bytes, LIMIT);
  const lb = computeLetterbox(info.width, info.height, info.width, info.height);
  const { data: rgb } = await decodeResized(bytes, lb, LIMIT);
  const { data: grey } = await decodeResized(bytes, lb, LIMIT, true);
  return { info, rgb, grey };
}

const pixel = (rgb: Uint8Array, width: number, x: number, y: number) =>
  Array.from(rgb.subarray((y * width + x) * 3, (y * width + x) * 3 + 3));

async function codeOf(promise: Promise<unknown>): Promise<string> {
  const error = await promise.catch((e: unknown) => e);
  expect(error).toBeInstanceOf(InferenceError);
  return (error as InferenceError).code;
}

describe("image decoding", () => {
  test("16-bit greyscale PNG is mapped by its own percentiles to the model's levels, not shifted", async () => {
    // 12-bit data in a 16-bit container: a shift by 8 bits would leave every pixel at 15 or below.
    const values = Uint16Array.from({ length: 64 * 64 }, (_, i) => i % 4096);
    const png = await sharp(values, { raw: { width: 64, height: 64, channels: 1 } })
      .toColourspace("grey16")
      .png()
      .toBuffer();
    const { info, rgb, grey } = await decodeAsIs(png);
    expect(info.depth).toBe("ushort");
    expect(isGrey(info)).toBe(true);
    expect(rgb).toHaveLength(64 * 64 * 3);
    expect(grey).toHaveLength(64 * 64);
    expect(Math.min(...grey)).toBe(Math.round(255 * MODEL_LEVELS.black));
    expect(Math.max(...grey)).toBe(Math.round(255 * MODEL_LEVELS.white));
    // Brightness follows the values; RGB output holds the same grey in each channel.
    expect(grey[2048] as number).toBeGreaterThan(grey[100] as number);
    expect(pixel(rgb, 64, 10, 0)).toEqual([grey[10], grey[10], grey[10]] as number[]);
  });

  test("16-bit greyscale TIFF, uncompressed, LZW and Deflate, in strips and in tiles, decodes alike", async () => {
    const width = 300;
    const height = 200;
    const values = Uint16Array.from({ length: width * height }, (_, i) => 500 + ((i * 7) % 3000));
    const raw = { raw: { width, height, channels: 1 as const } };
    const variants = await Promise.all(
      (["none", "lzw", "deflate"] as const).flatMap((compression) =>
        [false, true].map((tile) =>
          sharp(values, raw)
            .toColourspace("grey16")
            .tiff({ compression, tile, tileWidth: 64, tileHeight: 64 })
            .toBuffer(),
        ),
      ),
    );
    const decoded = await Promise.all(variants.map((bytes) => decodeAsIs(bytes)));
    for (const { info, grey } of decoded) {
      expect(info).toMatchObject({ format: "tiff", depth: "ushort", width, height });
      expect(grey).toEqual(decoded[0]?.grey as Uint8Array);
    }
    expect(Math.max(...(decoded[0]?.grey ?? []))).toBe(Math.round(255 * MODEL_LEVELS.white));
  });

  test("16-bit RGB PNG keeps its colours; 8-bit TIFF decodes", async () => {
    const values = new Uint16Array(4 * 3).fill(0);
    for (let i = 0; i < 4; i++) values[i * 3] = 65535;
    const png = await sharp(values, { raw: { width: 2, height: 2, channels: 3 } })
      .toColourspace("rgb16")
      .png()
      .toBuffer();
    const wide = await decodeAsIs(png);
    expect(wide.info.depth).toBe("ushort");
    expect(pixel(wide.rgb, 2, 1, 1)).toEqual([255, 0, 0]);
    const tiff = await sharp(Buffer.from([255, 0, 0, 0, 255, 0]), {
      raw: { width: 2, height: 1, channels: 3 },
    })
      .tiff({ compression: "lzw" })
      .toBuffer();
    const narrow = await decodeAsIs(tiff);
    expect([narrow.info.format, narrow.info.depth]).toEqual(["tiff", "uchar"]);
    expect(pixel(narrow.rgb, 2, 1, 0)).toEqual([0, 255, 0]);
  });

  test("greyscale JPEG becomes three equal channels, or one channel holding the same value", async () => {
    const jpeg = await sharp(Buffer.alloc(16 * 16, 200), { raw: { width: 16, height: 16, channels: 1 } })
      .toColourspace("b-w")
      .jpeg({ quality: 100 })
      .toBuffer();
    const { info, rgb, grey } = await decodeAsIs(jpeg);
    expect(info.channels).toBe(1);
    const [r, g, b] = pixel(rgb, 16, 8, 8);
    expect(r).toBe(g as number);
    expect(g).toBe(b as number);
    expect(Math.abs((r as number) - 200)).toBeLessThanOrEqual(2);
    expect(grey[8 * 16 + 8]).toBe(r as number);
  });

  test("EXIF orientation is applied: size and pixels as displayed", async () => {
    // Stored 40x20, left half white; orientation 6 displays it rotated 90° clockwise.
    const stored = Buffer.alloc(40 * 20 * 3);
    for (let y = 0; y < 20; y++) stored.fill(255, y * 120, y * 120 + 60);
    const jpeg = await sharp(stored, { raw: { width: 40, height: 20, channels: 3 } })
      .jpeg({ quality: 100 })
      .withMetadata({ orientation: 6 })
      .toBuffer();
    const { info, rgb } = await decodeAsIs(jpeg);
    expect([info.width, info.height]).toEqual([20, 40]);
    expect(pixel(rgb, 20, 10, 5)[0]).toBeGreaterThan(240);
    expect(pixel(rgb, 20, 10, 35)[0]).toBeLessThan(15);
  });

  test("alpha is dropped; WebP decodes", async () => {
    const rgba = await sharp({
      create: { width: 4, height: 4, channels: 4, background: { r: 10, g: 20, b: 30, alpha: 0.5 } },
    })
      .webp({ lossless: true })
      .toBuffer();
    const { info, rgb } = await decodeAsIs(rgba);
    expect(info.format).toBe("webp");
    expect(isGrey(info)).toBe(false);
    expect(rgb).toHaveLength(4 * 4 * 3);
    expect(pixel(rgb, 4, 0, 0)).toEqual([10, 20, 30]);
  });

  test("images over the pixel limit are refused before decoding", async () => {
    const png = await solidImage(100, 100, [0, 0, 0]);
    expect(await codeOf(probeImage(png, 9_999))).toBe("image_too_many_pixels");
    const lb = computeLetterbox(100, 100, 10, 10);
    expect(await codeOf(decodeResized(png, lb, 9_999))).toBe("image_too_many_pixels");
  });

  test("unsupported, empty and corrupt inputs get distinct permanent codes", async () => {
    expect(await codeOf(probeImage(await gifImage(), LIMIT))).toBe("unsupported_image_type");
    expect(await codeOf(probeImage(new Uint8Array(0), LIMIT))).toBe("image_corrupt");
    const jpeg = await sharp({ create: { width: 64, height: 64, channels: 3, background: "white" } })
      .jpeg()
      .toBuffer();
    const truncated = jpeg.subarray(0, jpeg.length / 2);
    const decodeAll = async () => {
      const info = await probeImage(truncated, LIMIT);
      return decodeResized(truncated, computeLetterbox(info.width, info.height, 32, 32), LIMIT);
    };
    expect(await codeOf(decodeAll())).toBe("image_corrupt");
  });
});
