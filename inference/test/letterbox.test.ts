import { describe, expect, test } from "bun:test";
import sharp from "sharp";
import { decodeResized, probeImage } from "../src/image/decode";
import { boxToImage, computeLetterbox, fillTensor } from "../src/image/letterbox";
import { PAD_VALUE } from "../src/image/raster";
import { rectangleImage } from "./fixtures";

describe("computeLetterbox", () => {
  test("centres the resized image, splitting odd padding like Ultralytics", () => {
    expect(computeLetterbox(1280, 720, 640, 640)).toMatchObject({
      scale: 0.5,
      resizedWidth: 640,
      resizedHeight: 360,
      padLeft: 0,
      padTop: 140,
    });
    // 641 − 640 = 1 px of padding: round(0.5 − 0.1) puts it at the bottom.
    expect(computeLetterbox(640, 640, 640, 641)).toMatchObject({ padTop: 0, resizedHeight: 640 });
    expect(computeLetterbox(100, 300, 64, 64)).toMatchObject({
      resizedWidth: 21,
      resizedHeight: 64,
      padLeft: 21,
    });
  });
});

/** Bounding box (pixel edges) of the R plane values above 0.5 in a letterboxed tensor. */
function brightBox(tensor: Float32Array, width: number, height: number) {
  let x1 = width;
  let y1 = height;
  let x2 = -1;
  let y2 = -1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if ((tensor[y * width + x] as number) > 0.5) {
        x1 = Math.min(x1, x);
        y1 = Math.min(y1, y);
        x2 = Math.max(x2, x + 1);
        y2 = Math.max(y2, y + 1);
      }
    }
  }
  return { x1, y1, x2, y2 };
}

describe("letterbox round trip", () => {
  const cases = [
    { size: [300, 200], rect: { x1: 40, y1: 60, x2: 130, y2: 150 }, model: [640, 640] },
    { size: [200, 333], rect: { x1: 0, y1: 250, x2: 77, y2: 333 }, model: [320, 480] },
    { size: [512, 512], rect: { x1: 101, y1: 7, x2: 400, y2: 99 }, model: [640, 384] },
  ] as const;

  for (const { size, rect, model } of cases) {
    test(`a box drawn on ${size[0]}x${size[1]} comes back at the same pixels through ${model[0]}x${model[1]}`, async () => {
      const bytes = await rectangleImage(size[0], size[1], rect);
      const info = await probeImage(bytes, 10_000_000);
      const lb = computeLetterbox(info.width, info.height, model[0], model[1]);
      const tensor = new Float32Array(3 * model[0] * model[1]);
      fillTensor(await decodeResized(bytes, lb, 10_000_000), lb, tensor);
      const back = boxToImage(brightBox(tensor, model[0], model[1]), lb);
      for (const key of ["x1", "y1", "x2", "y2"] as const) {
        expect(Math.abs(back[key] - rect[key])).toBeLessThanOrEqual(1);
      }
    });
  }

  test("padding is grey 114 in all three planes; pixels are RGB planes scaled to [0, 1]", async () => {
    const lb = computeLetterbox(2, 1, 4, 4);
    const rgb = Uint8Array.from([
      255, 0, 0, 0, 0, 255, 255, 0, 0, 0, 0, 255, 255, 0, 0, 0, 0, 255, 255, 0, 0, 0, 0, 255,
    ]);
    const tensor = new Float32Array(2 * 3 * 16).fill(-1);
    fillTensor({ data: rgb, channels: 3 }, { ...lb, resizedWidth: 4, resizedHeight: 2 }, tensor, 48);
    expect(Array.from(tensor.subarray(0, 48))).toEqual(new Array(48).fill(-1));
    const plane = (c: number) => Array.from(tensor.subarray(48 + c * 16, 48 + (c + 1) * 16));
    const grey = Math.fround(PAD_VALUE / 255);
    expect(plane(0)).toEqual([grey, grey, grey, grey, 1, 0, 1, 0, 1, 0, 1, 0, grey, grey, grey, grey]);
    expect(
      plane(1)
        .filter((v) => v !== grey)
        .every((v) => v === 0),
    ).toBe(true);
    expect(plane(2).slice(4, 12)).toEqual([0, 1, 0, 1, 0, 1, 0, 1]);
  });

  test("a grey image gives the same tensor through one channel as through RGB", async () => {
    const bytes = await sharp(Buffer.from(Array.from({ length: 30 * 20 }, (_, i) => (i * 37) % 256)), {
      raw: { width: 30, height: 20, channels: 1 },
    })
      .png()
      .toBuffer();
    const info = await probeImage(bytes, 10_000_000);
    const lb = computeLetterbox(info.width, info.height, 32, 32);
    const viaRgb = new Float32Array(3 * 32 * 32);
    const viaGrey = new Float32Array(3 * 32 * 32).fill(-1);
    fillTensor(await decodeResized(bytes, lb, 10_000_000), lb, viaRgb);
    fillTensor(await decodeResized(bytes, lb, 10_000_000, true), lb, viaGrey);
    expect(viaGrey).toEqual(viaRgb);
    expect(new Set(viaGrey).size).toBeGreaterThan(10);
  });

  test("fillTensor refuses pixel buffers of the wrong size", () => {
    const lb = computeLetterbox(10, 10, 10, 10);
    expect(() => fillTensor({ data: new Uint8Array(10), channels: 3 }, lb, new Float32Array(300))).toThrow(
      RangeError,
    );
    expect(() => fillTensor({ data: new Uint8Array(300), channels: 1 }, lb, new Float32Array(300))).toThrow(
      RangeError,
    );
  });

  test("boxes are clipped to the original image", () => {
    const lb = computeLetterbox(100, 50, 64, 64);
    expect(boxToImage({ x1: -10, y1: 0, x2: 80, y2: 70 }, lb)).toEqual({ x1: 0, y1: 0, x2: 100, y2: 50 });
  });
});
