import { describe, expect, test } from "bun:test";
import { hasValidEnding, probeImage } from "@edge/images/probe";
import { imageFixtures } from "@scripts/testing/image-fixtures";

const probe = (bytes: Buffer) => probeImage(new Uint8Array(bytes), bytes.length);

describe("probeImage", () => {
  test.each([
    ["png", imageFixtures.png, { format: "png", width: 64, height: 48, bitDepth: 8 }],
    ["16-bit greyscale png", imageFixtures.png16, { format: "png", width: 64, height: 48, bitDepth: 16 }],
    ["jpeg", imageFixtures.jpeg, { format: "jpeg", width: 64, height: 48, bitDepth: 8 }],
    ["16-bit tiff", imageFixtures.tiff16, { format: "tiff", width: 64, height: 48, bitDepth: 16 }],
    [
      "16-bit big-endian tiff",
      imageFixtures.tiff16BigEndian,
      { format: "tiff", width: 64, height: 48, bitDepth: 16 },
    ],
    ["8-bit tiff from sharp", imageFixtures.tiff, { format: "tiff", width: 64, height: 48, bitDepth: 8 }],
    ["webp", imageFixtures.webp, { format: "webp", width: 64, height: 48, bitDepth: 8 }],
  ] as const)("reads %s headers", async (_, make, expected) => {
    expect(probe(await make())).toEqual({ ok: true, ...expected });
  });

  test("reads large dimensions exactly", async () => {
    expect(probe(await imageFixtures.jpeg(3000, 17))).toMatchObject({ ok: true, width: 3000, height: 17 });
  });

  test.each([
    ["svg", imageFixtures.svg, "unsupported", /SVG/],
    ["html", imageFixtures.html, "unsupported", /HTML/],
    ["pdf", imageFixtures.pdf, "unsupported", /PDF/],
    ["gif", imageFixtures.gif, "unsupported", /GIF/],
    ["a JPEG carrying HTML", imageFixtures.polyglotJpeg, "polyglot", /<html/],
  ] as const)("refuses %s", async (_, make, problem, detail) => {
    const result = probe(await make());
    expect(result).toMatchObject({ ok: false, problem });
    expect(result.ok ? "" : "detail" in result ? result.detail : "").toMatch(detail);
  });

  test.each([
    ["bit depth 7", 24, 7, /bit depth 7/],
    ["bit depth 4 in truecolour", 24, 4, /bit depth 4 with colour type 2/],
    ["colour type 5", 25, 5, /colour type 5/],
    ["compression method 1", 26, 1, /compression/],
    ["zero width", 19, 0, /dimensions/],
  ] as const)("refuses a PNG header with %s", async (_, offset, value, detail) => {
    const png = Buffer.from(await imageFixtures.png());
    expect(probe(png)).toMatchObject({ ok: true });
    if (offset === 19) png.fill(0, 16, 20);
    else png[offset] = value;
    const result = probe(png);
    expect(result).toMatchObject({ ok: false, problem: "corrupt" });
    expect(result.ok ? "" : "detail" in result ? result.detail : "").toMatch(detail);
  });

  test("a JPEG cut before its frame header is corrupt", async () => {
    const jpeg = await imageFixtures.jpeg();
    expect(probe(jpeg.subarray(0, 20))).toMatchObject({ ok: false, problem: "corrupt" });
  });

  test("a TIFF whose directory lies beyond the bytes read asks for more", async () => {
    const tiff = await imageFixtures.tiff16(200, 200);
    const result = probeImage(new Uint8Array(tiff.subarray(0, 16)), tiff.length);
    expect(result.ok).toBe(false);
    if (!result.ok && result.problem === "need_more") {
      expect(result.offset).toBeGreaterThan(16);
      expect(probeImage(new Uint8Array(tiff.subarray(0, result.offset + 4096)), tiff.length).ok).toBe(true);
    }
  });
});

describe("hasValidEnding", () => {
  test("complete files end properly, truncated ones do not", async () => {
    const jpeg = await imageFixtures.jpeg(256, 256);
    const png = await imageFixtures.png();
    const tail = (b: Buffer) => new Uint8Array(b.subarray(b.length - 64));
    expect(hasValidEnding("jpeg", tail(jpeg), jpeg.length, new Uint8Array(jpeg))).toBe(true);
    const cut = jpeg.subarray(0, jpeg.length - 100);
    expect(hasValidEnding("jpeg", tail(cut), cut.length, new Uint8Array(cut))).toBe(false);
    expect(hasValidEnding("png", tail(png), png.length, new Uint8Array(png))).toBe(true);
    expect(
      hasValidEnding("png", tail(png.subarray(0, png.length - 1)), png.length - 1, new Uint8Array(png)),
    ).toBe(false);
  });
});
