import { DEFAULT_TILING, type Tiling } from "@common/contracts/tiling";
import { InferenceError } from "../errors";
import { DEFAULT_WHOLE_IMAGE_MERGE } from "../postprocess/tile-merge";
import { BYTE_TO_UNIT, PAD_VALUE, type Raster } from "./raster";

/** The service's side of tiling: what `auto` means here, and the bound on tiles per image. */
export interface TilingSettings {
  /** `auto` tiles when letterboxing the whole image would shrink it by more than this factor. */
  autoMaxShrink: number;
  /** `auto` tile side in image pixels; 0: the model input's longer side (tiles are not scaled). */
  autoTileSize: number;
  /** `auto` overlap between neighbouring tiles, as a fraction of a tile. */
  autoOverlap: number;
  /** Whether `auto` adds a whole-image pass, so objects larger than a tile are also seen whole. */
  autoWholeImage: boolean;
  /** Whole-image pass against the tiles: a box this much inside a larger box of the other pass (over its own area) is a piece of it. */
  wholeImageIos: number;
  /** The larger box takes such a piece only when it scores at least this fraction of the piece's score. */
  wholeImageScoreRatio: number;
  /** Most tiles per image: `auto` grows its tiles to stay under it, an explicit size over it is refused. */
  maxTiles: number;
}

export const DEFAULT_TILING_SETTINGS: TilingSettings = {
  autoMaxShrink: 4,
  autoTileSize: 0,
  autoOverlap: 0.2,
  autoWholeImage: true,
  wholeImageIos: DEFAULT_WHOLE_IMAGE_MERGE.ios,
  wholeImageScoreRatio: DEFAULT_WHOLE_IMAGE_MERGE.scoreRatio,
  maxTiles: 1024,
};

/** One tile: a model-input-sized window of the scaled image, at (x, y) in scaled pixels. */
export interface Tile {
  x: number;
  y: number;
}

/**
 * The image is scaled once (by `scale`, to `scaledWidth` × `scaledHeight`) and cut into windows of
 * exactly the model input size; a window reaching past the image (an image smaller than a tile) is
 * padded. Boxes map back by dividing by `scaleX` / `scaleY` (the exact ratios after rounding).
 */
export interface TilePlan {
  tileSize: number;
  overlap: number;
  scaledWidth: number;
  scaledHeight: number;
  scaleX: number;
  scaleY: number;
  tiles: Tile[];
  wholeImage: boolean;
}

/**
 * Window origins along one axis: stride `tile·(1−overlap)`, the last window flush with the far
 * edge, so every window lies inside the image and neighbours share at least the overlap.
 */
export function axisOrigins(length: number, tile: number, overlap: number): number[] {
  if (length <= tile) return [0];
  const stride = Math.max(1, Math.floor(tile * (1 - overlap)));
  const count = Math.ceil((length - tile) / stride) + 1;
  return Array.from({ length: count }, (_, i) => Math.min(i * stride, length - tile));
}

function planFor(
  width: number,
  height: number,
  inputWidth: number,
  inputHeight: number,
  tileSize: number,
  overlap: number,
  wholeImage: boolean,
): TilePlan {
  // A tile of `tileSize` image pixels along the input's longer side becomes the model input.
  const scale = Math.max(inputWidth, inputHeight) / tileSize;
  const scaledWidth = Math.max(1, Math.round(width * scale));
  const scaledHeight = Math.max(1, Math.round(height * scale));
  const xs = axisOrigins(scaledWidth, inputWidth, overlap);
  const ys = axisOrigins(scaledHeight, inputHeight, overlap);
  return {
    tileSize,
    overlap,
    scaledWidth,
    scaledHeight,
    scaleX: scaledWidth / width,
    scaleY: scaledHeight / height,
    tiles: ys.flatMap((y) => xs.map((x) => ({ x, y }))),
    wholeImage,
  };
}

/**
 * Decides how an image of `width` × `height` runs through a model with the given input: `null`
 * means untiled (one letterboxed pass), else the tiles.
 */
export function planTiling(
  width: number,
  height: number,
  inputWidth: number,
  inputHeight: number,
  tiling: Tiling | undefined,
  settings: TilingSettings = DEFAULT_TILING_SETTINGS,
): TilePlan | null {
  const mode = tiling ?? DEFAULT_TILING;
  if (mode === "off") return null;
  const longInput = Math.max(inputWidth, inputHeight);
  if (mode === "auto") {
    const shrink = Math.max(width / inputWidth, height / inputHeight);
    if (shrink <= settings.autoMaxShrink) return null;
    const autoPlan = (tileSize: number) =>
      planFor(
        width,
        height,
        inputWidth,
        inputHeight,
        tileSize,
        settings.autoOverlap,
        settings.autoWholeImage,
      );
    let tileSize = settings.autoTileSize || longInput;
    let plan = autoPlan(tileSize);
    // Too many tiles: larger tiles (each scaled down more) until the image fits the bound.
    while (plan.tiles.length + (plan.wholeImage ? 1 : 0) > settings.maxTiles) {
      tileSize = Math.ceil(tileSize * 1.25);
      plan = autoPlan(tileSize);
    }
    return plan;
  }
  const plan = planFor(width, height, inputWidth, inputHeight, mode.tileSize, mode.overlap, mode.wholeImage);
  const inputs = plan.tiles.length + (plan.wholeImage ? 1 : 0);
  if (inputs > settings.maxTiles) {
    throw new InferenceError(
      "validation_failed",
      `tiling with tileSize ${mode.tileSize} cuts this ${width}x${height} image into ${inputs} model inputs; the limit is ${settings.maxTiles} (use a larger tileSize or "auto")`,
    );
  }
  return plan;
}

/**
 * Writes the `inputWidth` × `inputHeight` window of `raster` at (x0, y0) into a planar RGB float
 * tensor (/255); what lies outside the raster gets the letterbox pad value.
 */
export function fillTileTensor(
  raster: Raster,
  x0: number,
  y0: number,
  inputWidth: number,
  inputHeight: number,
  out: Float32Array,
): void {
  const plane = inputWidth * inputHeight;
  if (out.length < 3 * plane) throw new RangeError("tensor too small for the tile");
  const { data, width, height, channels } = raster;
  const planes = channels === 1 ? 1 : 3;
  const w = Math.max(0, Math.min(inputWidth, width - x0));
  const h = Math.max(0, Math.min(inputHeight, height - y0));
  if (w < inputWidth || h < inputHeight) out.fill(PAD_VALUE / 255, 0, planes * plane);
  for (let c = 0; c < planes; c++) {
    const base = c * plane;
    for (let y = 0; y < h; y++) {
      let src = ((y0 + y) * width + x0) * channels + c;
      let dst = base + y * inputWidth;
      for (let x = 0; x < w; x++, dst++, src += channels)
        out[dst] = BYTE_TO_UNIT[data[src] as number] as number;
    }
  }
  if (channels === 1) {
    out.copyWithin(plane, 0, plane);
    out.copyWithin(2 * plane, 0, plane);
  }
}
