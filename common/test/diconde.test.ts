import { describe, expect, test } from "bun:test";
import { SUPPORTED_TRANSFER_SYNTAXES, transferSyntax } from "@common/imaging/dicom-transfer-syntax";
import { type DicomHeader, DicondeError, readDiconde, TAGS } from "@common/imaging/diconde";

/** A parsed header as a DICOM parser's data set answers it: strings padded as in files, US as numbers. */
function header(strings: Record<string, string>, shorts: Record<string, number>): DicomHeader {
  return { string: (tag) => strings[tag], uint16: (tag) => shorts[tag] };
}

/** The problem readDiconde refuses a header with, or null when it reads it. */
function problem(strings: Record<string, string>, shorts: Record<string, number>) {
  try {
    readDiconde(header(strings, shorts));
  } catch (error) {
    if (error instanceof DicondeError) return error.problem;
    throw error;
  }
  return null;
}

const STRINGS = {
  [TAGS.transferSyntax]: "1.2.840.10008.1.2.1\0",
  [TAGS.photometric]: "MONOCHROME1 ",
  [TAGS.pixelSpacing]: "0.1\\0.05",
  [TAGS.imagerPixelSpacing]: "0.2\\0.2 ",
  [TAGS.windowCenter]: "2048\\1000",
  [TAGS.windowWidth]: "4096\\500 ",
  [TAGS.rescaleSlope]: "2 ",
  [TAGS.rescaleIntercept]: "-100",
  [TAGS.modality]: "DX",
  [TAGS.componentName]: "PIPE^SPOOL-17",
  [TAGS.componentId]: "P-2024-0042 ",
  [TAGS.studyId]: "RT-7",
  [TAGS.studyDate]: "20261130",
};
const SHORTS = {
  [TAGS.rows]: 800,
  [TAGS.columns]: 6000,
  [TAGS.samplesPerPixel]: 1,
  [TAGS.bitsAllocated]: 16,
  [TAGS.bitsStored]: 12,
  [TAGS.highBit]: 11,
  [TAGS.pixelRepresentation]: 0,
};

describe("reading a DICONDE header", () => {
  test("sizes, sample format, pixel size, intensity tags and identifiers", () => {
    const image = readDiconde(header(STRINGS, SHORTS));
    expect(image).toMatchObject({
      width: 6000,
      height: 800,
      bitsAllocated: 16,
      bitsStored: 12,
      highBit: 11,
      signed: false,
      photometric: "MONOCHROME1",
      transferSyntax: "1.2.840.10008.1.2.1",
    });
    // Pixel Spacing is row spacing (a pixel's height), then column spacing (its width); it wins
    // over Imager Pixel Spacing.
    expect(image.pixelSizeMm).toEqual({ x: 0.05, y: 0.1, source: "dicom_pixel_spacing" });
    expect(image.metadata).toEqual({
      bitsStored: 12,
      photometric: "MONOCHROME1",
      transferSyntax: "1.2.840.10008.1.2.1",
      rescale: { slope: 2, intercept: -100 },
      window: { center: 2048, width: 4096 },
      modality: "DX",
      identifiers: {
        componentName: "PIPE^SPOOL-17",
        componentId: "P-2024-0042",
        examinationId: "RT-7",
        examinationDate: "20261130",
      },
    });
  });

  test("Imager Pixel Spacing when there is no Pixel Spacing; neither: no pixel size", () => {
    const { [TAGS.pixelSpacing]: _, ...imagerOnly } = STRINGS;
    expect(readDiconde(header(imagerOnly, SHORTS)).pixelSizeMm).toEqual({
      x: 0.2,
      y: 0.2,
      source: "dicom_imager_pixel_spacing",
    });
    const { [TAGS.imagerPixelSpacing]: __, ...none } = imagerOnly;
    expect(readDiconde(header(none, SHORTS)).pixelSizeMm).toBeUndefined();
  });

  test("compressed transfer syntaxes the platform does not decode are refused by name", () => {
    for (const uid of [
      "1.2.840.10008.1.2.4.90",
      "1.2.840.10008.1.2.4.50",
      "1.2.840.10008.1.2.1.99",
      "1.2.3.4.5",
    ]) {
      expect(problem({ ...STRINGS, [TAGS.transferSyntax]: uid }, SHORTS)).toBe("unsupported_transfer_syntax");
    }
    expect(transferSyntax("1.2.840.10008.1.2.4.90").name).toBe("JPEG 2000 (Lossless Only)");
    // Native (implicit LE, explicit LE and BE), RLE Lossless, JPEG Lossless (process 14 and its SV1).
    expect(SUPPORTED_TRANSFER_SYNTAXES).toHaveLength(6);
    for (const uid of ["1.2.840.10008.1.2.5", "1.2.840.10008.1.2.4.57", "1.2.840.10008.1.2.4.70"]) {
      expect(problem({ ...STRINGS, [TAGS.transferSyntax]: uid }, SHORTS)).toBeNull();
    }
  });

  test("colour, multi-frame and 32-bit images are unsupported; impossible values are corrupt", () => {
    expect(problem({ ...STRINGS, [TAGS.photometric]: "RGB" }, { ...SHORTS, [TAGS.samplesPerPixel]: 3 })).toBe(
      "unsupported",
    );
    expect(problem({ ...STRINGS, [TAGS.numberOfFrames]: "4" }, SHORTS)).toBe("unsupported");
    expect(problem(STRINGS, { ...SHORTS, [TAGS.bitsAllocated]: 32 })).toBe("unsupported");
    expect(problem(STRINGS, { ...SHORTS, [TAGS.bitsStored]: 17 })).toBe("corrupt");
    expect(problem(STRINGS, { ...SHORTS, [TAGS.rows]: 0 })).toBe("corrupt");
    expect(problem({ ...STRINGS, [TAGS.pixelSpacing]: "0.1" }, SHORTS)).toBe("corrupt");
    expect(problem({ ...STRINGS, [TAGS.pixelSpacing]: "-1\\0.1" }, SHORTS)).toBe("corrupt");
    expect(problem({ ...STRINGS, [TAGS.rescaleSlope]: "0" }, SHORTS)).toBe("corrupt");
    expect(problem({ ...STRINGS, [TAGS.numberOfFrames]: "0x1" }, SHORTS)).toBe("corrupt");
    const { [TAGS.transferSyntax]: _, ...noSyntax } = STRINGS;
    expect(problem(noSyntax, SHORTS)).toBe("corrupt");
  });
});

describe("Decimal String values (PS3.5 §6.2 DS)", () => {
  const spacing = (value: string) => readDiconde(header({ ...STRINGS, [TAGS.pixelSpacing]: value }, SHORTS));

  test.each([
    ["0.1\\0.05", { x: 0.05, y: 0.1 }],
    [" 1.5E-1 \\+.2", { x: 0.2, y: 0.15 }],
    ["1\\2.", { x: 2, y: 1 }],
    ["5e-2\\5E-2\0", { x: 0.05, y: 0.05 }],
  ])("%s is read", (value, size) => {
    expect(spacing(value).pixelSizeMm).toEqual({ ...size, source: "dicom_pixel_spacing" });
  });

  // JavaScript's Number() reads all of these, "0x10" as 16 mm: a size 160 times too large.
  test.each([
    "0x10\\0x10",
    "0b1\\0b1",
    "1_0\\1",
    "Infinity\\1",
    "1 0\\1",
    "\\0.1",
    "0.1\\",
    "1.00000000000000001\\1",
    "0.1\\0.1\\0.1",
  ])("Pixel Spacing %s is not a DS pair: the file is refused as corrupt", (value) => {
    expect(problem({ ...STRINGS, [TAGS.pixelSpacing]: value }, SHORTS)).toBe("corrupt");
  });

  test("an invalid Rescale Slope is refused; an invalid window is left out", () => {
    expect(problem({ ...STRINGS, [TAGS.rescaleSlope]: "0x2" }, SHORTS)).toBe("corrupt");
    const image = readDiconde(header({ ...STRINGS, [TAGS.windowCenter]: "0x800" }, SHORTS));
    expect(image.metadata.window).toBeUndefined();
  });
});
