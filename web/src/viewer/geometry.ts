/** A box in image pixels, corners (x1, y1) top-left and (x2, y2) bottom-right. */
export type Box = { x1: number; y1: number; x2: number; y2: number };
type Point = { x: number; y: number };
type Size = { width: number; height: number };
export type Handle = "nw" | "ne" | "sw" | "se";

const clamp = (value: number, max: number) => Math.min(max, Math.max(0, value));

/** The box spanned by two corners in any order, kept inside the image and rounded to pixels. */
export function boxFromCorners(a: Point, b: Point, size: Size): Box {
  return {
    x1: Math.round(clamp(Math.min(a.x, b.x), size.width)),
    y1: Math.round(clamp(Math.min(a.y, b.y), size.height)),
    x2: Math.round(clamp(Math.max(a.x, b.x), size.width)),
    y2: Math.round(clamp(Math.max(a.y, b.y), size.height)),
  };
}

export function hitBox(box: Box, point: Point): boolean {
  return point.x >= box.x1 && point.x <= box.x2 && point.y >= box.y1 && point.y <= box.y2;
}

/** The corner handle within `tolerance` image pixels of the point, if any. */
export function handleAt(box: Box, point: Point, tolerance: number): Handle | null {
  const near = (a: number, b: number) => Math.abs(a - b) <= tolerance;
  const west = near(point.x, box.x1);
  const east = near(point.x, box.x2);
  const north = near(point.y, box.y1);
  const south = near(point.y, box.y2);
  if (north && west) return "nw";
  if (north && east) return "ne";
  if (south && west) return "sw";
  if (south && east) return "se";
  return null;
}

/** The box with one corner moved to the point; the opposite corner stays where it was. */
export function resizeBox(box: Box, handle: Handle, point: Point, size: Size): Box {
  const fixed = {
    x: handle === "nw" || handle === "sw" ? box.x2 : box.x1,
    y: handle === "nw" || handle === "ne" ? box.y2 : box.y1,
  };
  return boxFromCorners(fixed, point, size);
}
