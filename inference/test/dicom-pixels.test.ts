import { describe, expect, test } from "bun:test";
import { decodeRle } from "@common/imaging/dicom-pixels";
import type { DicondeError, DicondeImage } from "@common/imaging/diconde";
import { FULL_LEVELS, MODEL_LEVELS, mapValue, resolveMapping } from "@common/imaging/intensity";
import type { InferenceError } from "../src/errors";
import { dicomRaster, storedValues } from "../src/image/dicom-pixels";
import { DEFAULT_INTENSITY } from "../src/image/intensity-options";

const EXPLICIT_LE = "1.2.840.10008.1.2.1";
const EXPLICIT_BE = "1.2.840.10008.1.2.2";
const RLE = "1.2.840.10008.1.2.5";

function image(overrides: Partial<DicondeImage> = {}): DicondeImage {
  return {
    width: 4,
    height: 2,
    bitsAllocated: 16,
    bitsStored: 12,
    highBit: 11,
    signed: false,
    photometric: "MONOCHROME2",
    transferSyntax: EXPLICIT_LE,
    pixelSizeMm: undefined,
    metadata: {},
    ...overrides,
  };
}

const le16 = (values: number[]) => new Uint8Array(Uint16Array.from(values).buffer);

/** PackBits as RLE Lossless writes it: literal runs, and a replicate run for repeated bytes. */
function packBits(bytes: number[]): number[] {
  const out: number[] = [];
  let i = 0;
  while (i < bytes.length) {
    let run = 1;
    while (i + run < bytes.length && bytes[i + run] === bytes[i] && run < 128) run++;
    if (run >= 2) {
      out.push((1 - run) & 0xff, bytes[i] as number);
      i += run;
    } else {
      out.push(0, bytes[i] as number);
      i++;
    }
  }
  return out;
}

function rleFrame(values: number[], bytesPerSample: 1 | 2): Uint8Array {
  const planes = Array.from({ length: bytesPerSample }, (_, s) =>
    packBits(values.map((v) => (v >> (8 * (bytesPerSample - 1 - s))) & 0xff)),
  );
  const header = new Uint32Array(16);
  header[0] = bytesPerSample;
  let offset = 64;
  planes.forEach((plane, s) => {
    header[1 + s] = offset;
    offset += plane.length;
  });
  return new Uint8Array([...new Uint8Array(header.buffer), ...planes.flat()]);
}

const VALUES = [0, 1, 4095, 2048, 2048, 2048, 100, 3000];

describe("DICONDE pixel data to stored values", () => {
  test("native little endian: bits outside Bits Stored are dropped", () => {
    // High nibble set as an overlay or garbage would be.
    const { values, info } = storedValues(image(), le16(VALUES.map((v) => v | 0xf000)));
    expect(Array.from(values)).toEqual(VALUES);
    expect(info).toMatchObject({ bitsStored: 12, photometric: "MONOCHROME2", window: null });
  });

  test("High Bit below the top: the value is shifted down", () => {
    const shifted = storedValues(image({ highBit: 15 }), le16(VALUES.map((v) => v << 4)));
    expect(Array.from(shifted.values)).toEqual(VALUES);
  });

  test("native big endian (retired syntax) reads the same values", () => {
    const be = new Uint8Array(VALUES.flatMap((v) => [v >> 8, v & 0xff]));
    expect(Array.from(storedValues(image({ transferSyntax: EXPLICIT_BE }), be).values)).toEqual(VALUES);
  });

  test("signed samples are offset into the unsigned range without changing modality values", () => {
    const signed = [-2048, -1, 0, 2047, 5, -5, 100, -100];
    const raw = le16(signed.map((v) => v & 0xffff));
    const { values, info } = storedValues(
      image({ signed: true, metadata: { rescale: { slope: 2, intercept: 10 } } }),
      raw,
    );
    const mapping = resolveMapping({ ...info, window: { center: 0.5, width: 2 } }, null);
    // Modality = signed × 2 + 10, recovered from the unsigned values and the moved intercept.
    signed.forEach((v, i) => {
      expect((values[i] as number) * (info.rescale?.slope ?? 0) + (info.rescale?.intercept ?? 0)).toBe(
        v * 2 + 10,
      );
    });
    expect(mapValue(values[2] as number, mapping)).toBe(1);
  });

  test("RLE Lossless, 16 and 8 bits, decodes to the same values as native data", () => {
    expect(Array.from(storedValues(image({ transferSyntax: RLE }), rleFrame(VALUES, 2)).values)).toEqual(
      VALUES,
    );
    const bytes = [0, 0, 0, 9, 9, 9, 9, 255];
    const eight = storedValues(
      image({ transferSyntax: RLE, bitsAllocated: 8, bitsStored: 8, highBit: 7 }),
      rleFrame(bytes, 1),
    );
    expect(Array.from(eight.values)).toEqual(bytes);
    expect(decodeRle(rleFrame(bytes, 1), 8, 1)).toEqual(Uint8Array.from(bytes));
  });

  const codeOf = (run: () => unknown) => {
    try {
      run();
    } catch (error) {
      return (error as InferenceError).code;
    }
    return null;
  };

  test("compressed syntaxes are refused with unsupported_transfer_syntax; short or broken data is corrupt", () => {
    expect(
      codeOf(() => storedValues(image({ transferSyntax: "1.2.840.10008.1.2.4.90" }), le16(VALUES))),
    ).toBe("unsupported_transfer_syntax");
    expect(codeOf(() => storedValues(image(), le16(VALUES.slice(0, 5))))).toBe("image_corrupt");
    const frame = rleFrame(VALUES, 2);
    expect(codeOf(() => storedValues(image({ transferSyntax: RLE }), frame.subarray(0, 70)))).toBe(
      "image_corrupt",
    );
    // The shared decoder's own refusals, before the service words them.
    const problemOf = (run: () => unknown) => {
      try {
        run();
      } catch (error) {
        return (error as DicondeError).problem;
      }
      return null;
    };
    expect(problemOf(() => decodeRle(frame, 8, 1))).toBe("corrupt");
    expect(problemOf(() => decodeRle(frame.subarray(0, 10), 8, 2))).toBe("corrupt");
  });
});

describe("a DICONDE frame as the model's raster", () => {
  const window = { center: 2048, width: 4096 };

  test("the file's window maps stored values to the model's levels; MONOCHROME1 comes out inverted", async () => {
    const frame = le16([0, 4095, 2048, 0, 4095, 2048, 0, 4095]);
    const mono2 = await dicomRaster(image({ metadata: { window } }), frame, 4, 2, DEFAULT_INTENSITY);
    expect(mono2).toMatchObject({ width: 4, height: 2, channels: 1 });
    const black = Math.round(255 * MODEL_LEVELS.black);
    const white = Math.round(255 * MODEL_LEVELS.white);
    expect(Array.from(mono2.data.subarray(0, 2))).toEqual([black, white]);
    const mono1 = await dicomRaster(
      image({ photometric: "MONOCHROME1", metadata: { window } }),
      frame,
      4,
      2,
      DEFAULT_INTENSITY,
    );
    expect(Array.from(mono1.data.subarray(0, 2))).toEqual([white, black]);
    const viewer = await dicomRaster(image({ metadata: { window } }), frame, 4, 2, {
      ...DEFAULT_INTENSITY,
      levels: FULL_LEVELS,
    });
    expect(Array.from(viewer.data.subarray(0, 2))).toEqual([0, 255]);
  });

  test("another size is one resize of the mapped frame", async () => {
    const frame = le16(Array.from({ length: 8 }, () => 4095));
    const raster = await dicomRaster(image({ metadata: { window } }), frame, 2, 1, DEFAULT_INTENSITY);
    expect(raster).toMatchObject({ width: 2, height: 1, channels: 1 });
    expect(Array.from(raster.data)).toEqual([
      Math.round(255 * MODEL_LEVELS.white),
      Math.round(255 * MODEL_LEVELS.white),
    ]);
  });
});
