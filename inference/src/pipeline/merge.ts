import type { DetectParams } from "@common/contracts/detect-message";
import type { Candidate } from "../model/decoders/types";
import type { LayoutName } from "../model/layout";
import { nms, topK } from "../postprocess/nms";
import {
  DEFAULT_TILE_MERGE,
  DEFAULT_WHOLE_IMAGE_MERGE,
  mergeTiles,
  mergeWholeImage,
  type TiledCandidate,
  type WholeImageMergeOptions,
} from "../postprocess/tile-merge";

type MergeParams = Pick<DetectParams, "iou" | "maxDet">;

/** Bounds the quadratic NMS loop on one model input, as Ultralytics' `max_nms` does. */
const MAX_NMS_CANDIDATES = 30_000;

/**
 * De-duplicates the candidates of one model input as its layout wants: end-to-end heads already
 * did (the best `maxDet` are kept), the others go through NMS.
 */
export function dedupeInput(
  candidates: readonly Candidate[],
  layout: LayoutName,
  params: MergeParams,
  agnostic: boolean,
): Candidate[] {
  if (layout === "end2end") return topK(candidates, params.maxDet);
  return nms(candidates, {
    iou: params.iou,
    maxDet: params.maxDet,
    agnostic,
    maxCandidates: MAX_NMS_CANDIDATES,
  });
}

/** The whole-image merge's own thresholds; the job gives its IoU and agnostic choice. */
export type WholeImageMergeSettings = Omit<WholeImageMergeOptions, "iou" | "agnostic">;

/**
 * Joins the boxes of an image's tiles and its whole-image pass, already in image pixels: first
 * the tiles among themselves (copies from overlapping tiles and pieces cut by a seam become one
 * box), then the whole-image pass against them (a large box of one pass takes the pieces of the
 * other it contains), then NMS across all of them.
 */
export function mergeAcrossTiles(
  found: readonly TiledCandidate[],
  params: MergeParams,
  agnostic: boolean,
  whole: WholeImageMergeSettings = DEFAULT_WHOLE_IMAGE_MERGE,
): Candidate[] {
  const fromTiles = mergeTiles(
    found.filter((c) => c.tile >= 0),
    { ...DEFAULT_TILE_MERGE, iou: params.iou, agnostic },
  );
  const fromWhole = found.filter((c) => c.tile < 0);
  const joined = mergeWholeImage(fromTiles, fromWhole, { ...whole, iou: params.iou, agnostic });
  return nms(joined, { iou: params.iou, maxDet: params.maxDet, agnostic });
}
