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

/** Image pixels to canvas CSS pixels: screen = image × scale + (tx, ty). */
export type Transform = { scale: number; tx: number; ty: number };
/** Fit the whole film ("page"), its width or its height to the canvas. */
export type FitKind = "page" | "width" | "height";

/** Share of the last screen still in view after a step along the strip. */
export const STEP_OVERLAP = 0.15;

/**
 * One axis's offset: an image narrower than the canvas is centred, a wider one cannot be moved
 * past either end.
 */
function clampAxis(offset: number, extent: number, view: number): number {
  if (extent <= view) return (view - extent) / 2;
  return Math.min(0, Math.max(view - extent, offset));
}

/**
 * The transform of a fit. Fitting one side keeps the other where the view was (clamped), so fitting
 * the height of a strip shown whole starts at its beginning.
 */
export function fitTransform(kind: FitKind, image: Size, view: Size, from: Transform): Transform {
  const page = Math.min(view.width / image.width, view.height / image.height);
  const scale =
    kind === "width" ? view.width / image.width : kind === "height" ? view.height / image.height : page;
  // The image point at the view's top-left corner stays there, as far as the ends allow.
  const left = Math.max(0, -from.tx / from.scale);
  const top = Math.max(0, -from.ty / from.scale);
  return {
    scale,
    tx: clampAxis(-left * scale, image.width * scale, view.width),
    ty: clampAxis(-top * scale, image.height * scale, view.height),
  };
}

/**
 * The fit a film opens with: the whole film, unless that leaves a strip's short side under a third
 * of the canvas (a 7,579 × 424 weld strip would be a 40-pixel band); then its short side fills the
 * canvas and the film is stepped through along its length.
 */
export function initialFit(image: Size, view: Size): FitKind {
  const page = Math.min(view.width / image.width, view.height / image.height);
  if (image.width >= image.height && image.height * page < view.height / 3) return "height";
  if (image.height > image.width && image.width * page < view.width / 3) return "width";
  return "page";
}

/** The film's long axis: a strip is stepped through along it. */
export const longAxis = (image: Size): "x" | "y" => (image.width >= image.height ? "x" : "y");

/** One screen along the film's long axis (less `STEP_OVERLAP`), stopping at either end. */
export function stepTransform(from: Transform, direction: 1 | -1, image: Size, view: Size): Transform {
  if (longAxis(image) === "x") {
    const tx = from.tx - direction * view.width * (1 - STEP_OVERLAP);
    return { ...from, tx: clampAxis(tx, image.width * from.scale, view.width) };
  }
  const ty = from.ty - direction * view.height * (1 - STEP_OVERLAP);
  return { ...from, ty: clampAxis(ty, image.height * from.scale, view.height) };
}

/** The transform that puts an image point at the centre of the view (within the film's ends). */
export function centreTransform(from: Transform, point: Point, image: Size, view: Size): Transform {
  return {
    scale: from.scale,
    tx: clampAxis(view.width / 2 - point.x * from.scale, image.width * from.scale, view.width),
    ty: clampAxis(view.height / 2 - point.y * from.scale, image.height * from.scale, view.height),
  };
}

/** The part of the image in view, image pixels. */
export function visibleRegion(t: Transform, image: Size, view: Size): Box {
  return {
    x1: Math.max(0, -t.tx / t.scale),
    y1: Math.max(0, -t.ty / t.scale),
    x2: Math.min(image.width, (view.width - t.tx) / t.scale),
    y2: Math.min(image.height, (view.height - t.ty) / t.scale),
  };
}
