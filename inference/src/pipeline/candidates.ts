import type { DetectParams } from "@common/contracts/detect-message";
import { decodeEndToEnd } from "../model/decoders/end-to-end";
import type { Candidate, Decoder } from "../model/decoders/types";
import { decodeUltralytics } from "../model/decoders/ultralytics";
import { decodeYolov5 } from "../model/decoders/yolov5";
import type { LayoutName } from "../model/layout";
import type { OutputTensor } from "../model/runtime";

/** One pure decoder per output layout (`../model/decoders/`). */
export const DECODERS: Record<LayoutName, Decoder> = {
  ultralytics: decodeUltralytics,
  yolov5: decodeYolov5,
  end2end: decodeEndToEnd,
};

/**
 * The candidates of one item of a batched output, in model-input pixels: rows above `params.conf`
 * of the wanted classes, not yet de-duplicated.
 */
export function decodeCandidates(
  layout: LayoutName,
  output: OutputTensor,
  index: number,
  params: Pick<DetectParams, "conf" | "classes">,
): Candidate[] {
  const classes = params.classes === null ? null : new Set<number>(params.classes);
  return DECODERS[layout](output.data, output.dims, index, { conf: params.conf, classes });
}
