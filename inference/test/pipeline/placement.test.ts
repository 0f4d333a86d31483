import { describe, expect, test } from "bun:test";
import { computeLetterbox } from "../../src/image/letterbox";
import { type Placement, toImage } from "../../src/pipeline/placement";

const box = (x1: number, y1: number, x2: number, y2: number) => ({ x1, y1, x2, y2 });

describe("toImage through a letterbox", () => {
  // 200x100 into 64x64: scale 0.32, 64x32 inside 16 px of padding top and bottom.
  const placement: Placement = { kind: "letterbox", lb: computeLetterbox(200, 100, 64, 64) };

  test("a box inside the image lands on the original pixels, the padding taken off", () => {
    expect(placement.kind === "letterbox" && placement.lb.padTop).toBe(16);
    const placed = toImage(box(16, 24, 48, 40), placement);
    expect(placed?.box.x1).toBeCloseTo(50, 6);
    expect(placed?.box.y1).toBeCloseTo(25, 6);
    expect(placed?.box.x2).toBeCloseTo(150, 6);
    expect(placed?.box.y2).toBeCloseTo(75, 6);
    expect(placed?.tile).toBe(-1);
    expect(placed?.cut).toEqual({ left: false, top: false, right: false, bottom: false });
  });

  test("a box reaching into the padding is clipped to the image; one wholly in it is dropped", () => {
    expect(toImage(box(-8, 8, 32, 32), placement)?.box).toEqual(box(0, 0, 100, 50));
    expect(toImage(box(10, 0, 40, 12), placement)).toBeNull();
    expect(toImage(box(10, 50, 40, 64), placement)).toBeNull();
  });
});

describe("toImage from a tile", () => {
  // A 384x128 image scaled by 0.5 to 192x64 and cut into three 64x64 tiles.
  const plan = { scaledWidth: 192, scaledHeight: 64, scaleX: 0.5, scaleY: 0.5 };
  const tile = (index: number, x: number): Placement => ({
    kind: "tile",
    index,
    x,
    y: 0,
    inputWidth: 64,
    inputHeight: 64,
    plan,
  });

  test("a box moves by the tile's offset and back through the scale", () => {
    const placed = toImage(box(10, 5, 30, 20), tile(1, 64));
    expect(placed?.box).toEqual(box(148, 10, 188, 40));
    expect(placed?.tile).toBe(1);
    expect(placed?.cut).toEqual({ left: false, top: false, right: false, bottom: false });
  });

  test("only borders inside the image cut a box, never the image's own edges", () => {
    expect(toImage(box(1, 0, 20, 64), tile(1, 64))?.cut).toEqual({
      left: true,
      top: false,
      right: false,
      bottom: false,
    });
    expect(toImage(box(40, 10, 63, 20), tile(1, 64))?.cut.right).toBe(true);
    expect(toImage(box(0, 0, 20, 64), tile(0, 0))?.cut).toEqual({
      left: false,
      top: false,
      right: false,
      bottom: false,
    });
    expect(toImage(box(40, 10, 64, 20), tile(2, 128))?.cut.right).toBe(false);
  });

  test("a tile reaching past the scaled image clips there; a box wholly past it is dropped", () => {
    const small = { scaledWidth: 100, scaledHeight: 64, scaleX: 1, scaleY: 1 };
    const past: Placement = {
      kind: "tile",
      index: 1,
      x: 64,
      y: 0,
      inputWidth: 64,
      inputHeight: 64,
      plan: small,
    };
    expect(toImage(box(20, 0, 60, 10), past)?.box).toEqual(box(84, 0, 100, 10));
    expect(toImage(box(40, 0, 60, 10), past)).toBeNull();
  });
});
