import { boxToImage, type Letterbox } from "../image/letterbox";
import type { TilePlan } from "../image/tiling";
import type { Box } from "../postprocess/boxes";
import type { Cut } from "../postprocess/tile-merge";

/** Where one model input lies in the image: the whole image letterboxed, or one tile of the scaled image. */
export type Placement =
  | { kind: "letterbox"; lb: Letterbox }
  | {
      kind: "tile";
      /** Position in the tile plan; boxes of one tile are never merged with each other. */
      index: number;
      x: number;
      y: number;
      inputWidth: number;
      inputHeight: number;
      plan: Pick<TilePlan, "scaledWidth" | "scaledHeight" | "scaleX" | "scaleY">;
    };

/** A box in image pixels, with the tile it came from (−1: a letterboxed whole image). */
export interface PlacedBox {
  box: Box;
  tile: number;
  cut: Cut;
}

export const NO_CUT: Cut = { left: false, top: false, right: false, bottom: false };

/** A box within this many input pixels of a tile border inside the image was cut by it. */
const CUT_MARGIN = 2;

function tileToImage(box: Box, placement: Extract<Placement, { kind: "tile" }>): PlacedBox | null {
  const { x, y, inputWidth, inputHeight, plan } = placement;
  // Clipped to the scaled image first: a tile reaching past it (an image smaller than a tile) is padded.
  const x1 = Math.max(0, Math.min(box.x1, plan.scaledWidth - x));
  const y1 = Math.max(0, Math.min(box.y1, plan.scaledHeight - y));
  const x2 = Math.max(0, Math.min(box.x2, plan.scaledWidth - x));
  const y2 = Math.max(0, Math.min(box.y2, plan.scaledHeight - y));
  if (x2 <= x1 || y2 <= y1) return null;
  return {
    box: {
      x1: (x1 + x) / plan.scaleX,
      y1: (y1 + y) / plan.scaleY,
      x2: (x2 + x) / plan.scaleX,
      y2: (y2 + y) / plan.scaleY,
    },
    tile: placement.index,
    cut: {
      left: x > 0 && x1 <= CUT_MARGIN,
      top: y > 0 && y1 <= CUT_MARGIN,
      right: x + inputWidth < plan.scaledWidth && x2 >= inputWidth - CUT_MARGIN,
      bottom: y + inputHeight < plan.scaledHeight && y2 >= inputHeight - CUT_MARGIN,
    },
  };
}

/**
 * Maps a box from model-input pixels back to image pixels, clipped to the image; null when nothing
 * of it is left (a box entirely in the letterbox padding, or past the image's edge in a tile).
 */
export function toImage(box: Box, placement: Placement): PlacedBox | null {
  if (placement.kind === "tile") return tileToImage(box, placement);
  const mapped = boxToImage(box, placement.lb);
  if (mapped.x2 <= mapped.x1 || mapped.y2 <= mapped.y1) return null;
  return { box: mapped, tile: -1, cut: NO_CUT };
}
