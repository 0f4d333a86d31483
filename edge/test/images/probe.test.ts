import { describe, expect, test } from "bun:test";
import { hasValidEnding, probeImage } from "@edge/images/probe";
import { type DicondeFile, TRANSFER_SYNTAX_UIDS, writeDiconde } from "@generator/diconde";
import { DICOM_FIXTURE_SPACING, imageFixtures } from "@scripts/testing/image-fixtures";

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

/** The offset of a JPEG's first frame header (SOFn) marker. */
function frameOffset(jpeg: Buffer): number {
  let i = 2;
  while (!(jpeg[i + 1] !== undefined && (jpeg[i + 1] as number) >= 0xc0 && (jpeg[i + 1] as number) <= 0xc3)) {
    i += 2 + jpeg.readUInt16BE(i + 2);
  }
  return i;
}

describe("JPEG frame headers", () => {
  test.each([
    [
      "sample precision 7",
      (b: Buffer, f: number): void => {
        b[f + 4] = 7;
      },
      /precision 7/,
    ],
    [
      "sample precision 16 in a DCT frame",
      (b: Buffer, f: number): void => {
        b[f + 4] = 16;
      },
      /precision 16/,
    ],
    [
      "zero components",
      (b: Buffer, f: number): void => {
        b[f + 9] = 0;
      },
      /0 components/,
    ],
    [
      "five components",
      (b: Buffer, f: number): void => {
        b[f + 9] = 5;
      },
      /5 components/,
    ],
    [
      "a frame length that does not fit its components",
      (b: Buffer, f: number): void => {
        b.writeUInt16BE(20, f + 2);
      },
      /length/,
    ],
  ] as const)("refuses %s", async (_, damage, detail) => {
    const jpeg = Buffer.from(await imageFixtures.jpeg());
    damage(jpeg, frameOffset(jpeg));
    const result = probe(jpeg);
    expect(result).toMatchObject({ ok: false, problem: "corrupt" });
    expect(result.ok ? "" : "detail" in result ? result.detail : "").toMatch(detail);
  });

  test("a restart marker before the frame header is refused", async () => {
    const jpeg = Buffer.from(await imageFixtures.jpeg());
    const withRst = Buffer.concat([jpeg.subarray(0, 2), Buffer.from([0xff, 0xd0]), jpeg.subarray(2)]);
    expect(probe(withRst)).toMatchObject({ ok: false, problem: "corrupt" });
  });

  test("a frame header behind a large ICC block asks for the bytes up to it", async () => {
    const jpeg = await imageFixtures.jpegWithMetadata(60_000, 3);
    const head = new Uint8Array(jpeg.subarray(0, 64 * 1024));
    const first = probeImage(head, jpeg.length);
    expect(first).toMatchObject({ ok: false, problem: "need_more" });
    const offset = !first.ok && first.problem === "need_more" ? first.offset : 0;
    expect(offset).toBeGreaterThan(head.length);
    expect(offset).toBeLessThanOrEqual(frameOffset(jpeg) + 10);
    let bytes = offset;
    let result = probeImage(new Uint8Array(jpeg.subarray(0, bytes)), jpeg.length);
    while (!result.ok && result.problem === "need_more") {
      bytes = result.offset;
      result = probeImage(new Uint8Array(jpeg.subarray(0, bytes)), jpeg.length);
    }
    expect(result).toEqual({ ok: true, format: "jpeg", width: 64, height: 48, bitDepth: 8 });
  });
});

/** The first directory's entries of a little-endian TIFF, to damage one field. */
function tiffEntry(tiff: Buffer, tag: number): number {
  const ifd = tiff.readUInt32LE(4);
  const count = tiff.readUInt16LE(ifd);
  for (let n = 0; n < count; n++) if (tiff.readUInt16LE(ifd + 2 + n * 12) === tag) return ifd + 2 + n * 12;
  throw new Error(`tag ${tag} not in the directory`);
}

describe("TIFF directories", () => {
  test.each([
    [
      "bits per sample 7",
      (t: Buffer) => t.writeUInt16LE(7, tiffEntry(t, 258) + 8),
      "corrupt",
      /bits per sample 7/,
    ],
    [
      "an invalid field type",
      (t: Buffer) => t.writeUInt16LE(99, tiffEntry(t, 256) + 2),
      "corrupt",
      /invalid type 99/,
    ],
    [
      "a value offset outside the file",
      (t: Buffer) => {
        const at = tiffEntry(t, 279);
        t.writeUInt32LE(4, at + 4);
        t.writeUInt32LE(0x7fff_fff0, at + 8);
      },
      "corrupt",
      /outside the file/,
    ],
    ["a zero-entry directory", (t: Buffer) => t.writeUInt16LE(0, t.readUInt32LE(4)), "corrupt", /0 entries/],
    ["65535 entries", (t: Buffer) => t.writeUInt16LE(65535, t.readUInt32LE(4)), "corrupt", /65535 entries/],
    ["a width given twice", (t: Buffer) => t.writeUInt32LE(2, tiffEntry(t, 256) + 4), "corrupt", /width/],
    ["9 samples per pixel", (t: Buffer) => t.writeUInt16LE(9, tiffEntry(t, 277) + 8), "corrupt", /9 samples/],
    [
      "JPEG 2000 compression",
      (t: Buffer) => t.writeUInt16LE(34712, tiffEntry(t, 259) + 8),
      "unsupported",
      /34712/,
    ],
  ] as const)("refuses %s", async (_, damage, problem, detail) => {
    const tiff = Buffer.from(await imageFixtures.tiff16());
    damage(tiff);
    const result = probe(tiff);
    expect(result).toMatchObject({ ok: false, problem });
    expect(result.ok ? "" : "detail" in result ? result.detail : "").toMatch(detail);
  });

  test("a directory chain that loops back on itself is read once", async () => {
    const tiff = Buffer.from(await imageFixtures.tiff16());
    const ifd = tiff.readUInt32LE(4);
    const count = tiff.readUInt16LE(ifd);
    tiff.writeUInt32LE(ifd, ifd + 2 + count * 12);
    expect(probe(tiff)).toEqual({ ok: true, format: "tiff", width: 64, height: 48, bitDepth: 16 });
  });
});

describe("DICONDE headers", () => {
  const card = (width: number, height: number) =>
    Uint16Array.from({ length: width * height }, (_, i) => (i * 37) % 4096);
  const dicom = (file: Partial<DicondeFile> = {}) =>
    Buffer.from(
      writeDiconde({
        width: 40,
        height: 30,
        values: card(40, 30),
        bitsAllocated: 16,
        bitsStored: 12,
        ...file,
      }),
    );
  const detail = (result: ReturnType<typeof probe>) =>
    result.ok ? "" : "detail" in result ? result.detail : "";

  test("reads size, depth, the file's pixel spacing and the header facts kept as metadata", async () => {
    expect(probe(await imageFixtures.dicom())).toMatchObject({
      ok: true,
      format: "dicom",
      width: 64,
      height: 48,
      bitDepth: 16,
      pixelSizeMm: { ...DICOM_FIXTURE_SPACING, source: "dicom_pixel_spacing" },
      metadata: {
        bitsStored: 12,
        photometric: "MONOCHROME2",
        transferSyntax: TRANSFER_SYNTAX_UIDS.explicitLittle,
        window: { center: 2048, width: 4096 },
        modality: "DX",
        identifiers: {
          componentName: "PIPE^SPOOL-17",
          componentId: "P-2026-0042",
          examinationId: "RT-7",
          manufacturer: "defect-detection generator",
          examinationUid: expect.stringMatching(/^2\.25\.\d+$/),
        },
      },
    });
  });

  test.each(Object.entries(TRANSFER_SYNTAX_UIDS))("accepts %s", (_, transferSyntax) => {
    const result = probe(dicom({ transferSyntax, imagerPixelSpacing: [0.1, 0.1] }));
    expect(result).toMatchObject({
      ok: true,
      format: "dicom",
      width: 40,
      height: 30,
      pixelSizeMm: { x: 0.1, y: 0.1, source: "dicom_imager_pixel_spacing" },
      metadata: { transferSyntax },
    });
  });

  test.each([
    ["JPEG 2000", "1.2.840.10008.1.2.4.90"],
    ["JPEG Baseline", "1.2.840.10008.1.2.4.50"],
    ["an unknown syntax", "1.2.3.4.5.6"],
  ])("refuses %s pixel data as an unsupported transfer syntax", (_, transferSyntax) => {
    const result = probe(dicom({ transferSyntax, encapsulatedFrame: new Uint8Array(64).fill(7) }));
    expect(result).toMatchObject({ ok: false, problem: "unsupported_transfer_syntax" });
    expect(detail(result)).toContain(transferSyntax);
  });

  test("a deflated data set is refused from its meta information, never inflated", () => {
    // dcmjs cannot write one; the meta information names the syntax, which is all that is read.
    const file = dicom();
    const syntax = Buffer.from(TRANSFER_SYNTAX_UIDS.explicitLittle);
    const at = file.indexOf(syntax);
    const deflated = Buffer.concat([
      file.subarray(0, at - 2),
      Buffer.from([22, 0]),
      Buffer.from("1.2.840.10008.1.2.1.99"),
      file.subarray(at + syntax.length),
    ]);
    deflated.writeUInt32LE(deflated.readUInt32LE(140) + 2, 140);
    expect(probe(deflated)).toMatchObject({ ok: false, problem: "unsupported_transfer_syntax" });
  });

  test.each([
    ["without Rows", { overrides: { Rows: undefined } }, /Rows and Columns/],
    ["with Bits Stored over Bits Allocated", { bitsStored: 17 }, /Bits Stored 17/],
    ["with a one-value Pixel Spacing", { overrides: { PixelSpacing: "0.1" } }, /two positive spacings/],
  ] as const)("refuses a header %s as corrupt", (_, file, message) => {
    const result = probe(dicom(file as Partial<DicondeFile>));
    expect(result).toMatchObject({ ok: false, problem: "corrupt" });
    expect(detail(result)).toMatch(message);
  });

  test("colour images are unsupported", () => {
    expect(probe(dicom({ overrides: { PhotometricInterpretation: "RGB" } }))).toMatchObject({
      ok: false,
      problem: "unsupported",
    });
  });

  test("a file cut inside its header is corrupt; one cut inside native pixel data too", () => {
    const file = dicom();
    const inHeader = file.subarray(0, 300);
    expect(probe(inHeader)).toMatchObject({ ok: false, problem: "corrupt" });
    const inPixels = file.subarray(0, file.length - 100);
    const result = probe(inPixels);
    expect(result).toMatchObject({ ok: false, problem: "corrupt" });
    expect(detail(result)).toMatch(/ends inside its Pixel Data/);
  });

  test("a header longer than the bytes read asks for more, and reads with them", () => {
    // A 200 KB element before the pixels, as vendors' headers can carry.
    const big = Buffer.from(
      writeDiconde({
        width: 40,
        height: 30,
        values: card(40, 30),
        bitsAllocated: 16,
        overrides: { ImageComments: "x".repeat(200_000) },
      }),
    );
    let bytes = 64 * 1024;
    let result = probeImage(new Uint8Array(big.subarray(0, bytes)), big.length);
    expect(result).toMatchObject({ ok: false, problem: "need_more" });
    let rounds = 0;
    while (!result.ok && result.problem === "need_more") {
      expect(result.offset).toBeGreaterThan(bytes);
      // As the upload reads on: at least twice what it holds (the probe knows a lower bound only).
      bytes = Math.max(result.offset, 2 * bytes);
      result = probeImage(new Uint8Array(big.subarray(0, bytes)), big.length);
      rounds++;
    }
    expect(result).toMatchObject({ ok: true, width: 40, height: 30 });
    expect(rounds).toBeLessThanOrEqual(3);
  });

  test("a damaged header is corrupt at once, not read on for", () => {
    const file = dicom({ overrides: { ReferencedImageSequence: [{ ReferencedSOPClassUID: "1.2.3" }] } });
    // The sequence's item tag overwritten: dicom-parser stops on the damage, not on running out.
    const item = file.indexOf(Buffer.from([0xfe, 0xff, 0x00, 0xe0]));
    file.fill(0x41, item, item + 4);
    const result = probeImage(new Uint8Array(file.subarray(0, item + 200)), file.length);
    expect(result).toMatchObject({ ok: false, problem: "corrupt" });
    expect(detail(result)).toMatch(/item tag/);
  });

  test.each([
    ["a Windows executable", Buffer.from("MZ\x90\x00", "latin1")],
    ["a PNG", Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])],
    ["HTML", Buffer.from("<html><script>alert(1)</script></html>")],
    ["a ZIP local file header", Buffer.from("PK\x03\x04\x14\x00\x00\x00", "latin1")],
    ["an empty ZIP", Buffer.from("PK\x05\x06", "latin1")],
    ["an ELF executable", Buffer.from("\x7fELF\x02\x01", "latin1")],
    ["a PDF", Buffer.from("%PDF-1.7\n", "latin1")],
    ["a RAR archive", Buffer.from("Rar!\x1a\x07\x01\x00", "latin1")],
    ["a 7-Zip archive", Buffer.from("7z\xbc\xaf\x27\x1c", "latin1")],
    ["a gzip stream", Buffer.from("\x1f\x8b\x08\x00", "latin1")],
  ])("a preamble that is also %s makes a polyglot", (_, start) => {
    const file = dicom();
    start.copy(file, 0);
    expect(probe(file)).toMatchObject({ ok: false, problem: "polyglot" });
  });

  test("encapsulated pixel data must end with its sequence delimiter", () => {
    const rle = dicom({ transferSyntax: TRANSFER_SYNTAX_UIDS.rle });
    const tail = (b: Buffer) => new Uint8Array(b.subarray(b.length - 64));
    expect(hasValidEnding("dicom", tail(rle), rle.length, new Uint8Array(rle))).toBe(true);
    const cut = rle.subarray(0, rle.length - 10);
    expect(hasValidEnding("dicom", tail(cut), cut.length, new Uint8Array(cut))).toBe(false);
  });
});
