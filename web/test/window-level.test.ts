import { describe, expect, test } from "bun:test";
import { applyLut, autoWindow, windowLevelLut } from "../src/viewer/window-level";

describe("window/level", () => {
  test("the full window leaves stored values as they are (within rounding)", () => {
    const lut = windowLevelLut(128, 256);
    for (let value = 0; value < 256; value++)
      expect(Math.abs((lut[value] as number) - value)).toBeLessThanOrEqual(1);
  });

  test("a narrow window clips below to black, above to white and stretches between", () => {
    const lut = windowLevelLut(100, 20);
    expect(lut[80]).toBe(0);
    expect(lut[89]).toBe(0);
    expect(lut[90]).toBe(0);
    expect(lut[100]).toBe(128);
    expect(lut[110]).toBe(255);
    expect(lut[200]).toBe(255);
    // Strictly increasing inside the window: faint indications gain contrast, never lose order.
    for (let value = 91; value < 110; value++)
      expect(lut[value] as number).toBeGreaterThan(lut[value - 1] as number);
  });

  test("a zero width is treated as the narrowest window, not a division by zero", () => {
    const lut = windowLevelLut(50, 0);
    expect(lut[49]).toBe(0);
    expect(lut[51]).toBe(255);
  });

  test("the table maps every colour channel and keeps alpha", () => {
    const source = new Uint8ClampedArray([95, 100, 105, 77]);
    const target = new Uint8ClampedArray(4);
    applyLut(source, windowLevelLut(100, 20), target);
    expect([...target]).toEqual([64, 128, 191, 77]);
  });

  test("the automatic window spans the image's own range", () => {
    // Pixels between 40 and 60 only: the window must sit there, not span 0–255.
    const pixels = new Uint8ClampedArray(4 * 10_000);
    for (let i = 0; i < 10_000; i++) pixels.fill(40 + (i % 21), i * 4, i * 4 + 4);
    const { level, width } = autoWindow(pixels);
    expect(level).toBeGreaterThanOrEqual(48);
    expect(level).toBeLessThanOrEqual(52);
    expect(width).toBeGreaterThanOrEqual(15);
    expect(width).toBeLessThanOrEqual(21);
  });
});
