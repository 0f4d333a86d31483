import { InferenceError } from "../errors";
import { decodeEndToEnd } from "./decoders/end-to-end";
import type { Decoder } from "./decoders/types";
import { decodeUltralytics } from "./decoders/ultralytics";
import { decodeYolov5 } from "./decoders/yolov5";
import type { TensorInfo } from "./runtime";

export type LayoutName = "ultralytics" | "yolov5" | "end2end";

export const DECODERS: Record<LayoutName, Decoder> = {
  ultralytics: decodeUltralytics,
  yolov5: decodeYolov5,
  end2end: decodeEndToEnd,
};

export interface OutputLayout {
  layout: LayoutName;
  outputName: string;
  /** Class count implied by the output shape; null for end-to-end outputs, which carry class ids. */
  numClasses: number | null;
}

export interface InputLayout {
  inputName: string;
  width: number;
  height: number;
  /** Fixed batch size, or null when the batch axis is dynamic. */
  fixedBatch: number | null;
}

const END_TO_END_ROWS = 300;

const isFixed = (dim: number | string | undefined): dim is number => typeof dim === "number" && dim > 0;
const formatShape = (info: TensorInfo) => `${info.name}[${info.shape.join(", ")}]`;

/** YOLOv5 exports may add raw head outputs; the decoded one is named `output` (or `output0`). */
function pickOutput(outputs: readonly TensorInfo[]): TensorInfo | undefined {
  return outputs.find((o) => o.name === "output" || o.name === "output0") ?? outputs[0];
}

function refuse(outputs: readonly TensorInfo[], detail: string): never {
  throw new InferenceError(
    "model_layout_unknown",
    `unrecognised output layout (${detail}): outputs ${outputs.map(formatShape).join(", ")}; ` +
      "supported are [B, 4+nc, N] (Ultralytics v8/v11), [B, N, 5+nc] (YOLOv5) and [B, 300, 6] (end-to-end)",
  );
}

/** Decides the output layout from shapes and metadata; throws `model_layout_unknown` otherwise. */
export function detectOutputLayout(
  outputs: readonly TensorInfo[],
  meta: { numNames: number | null; end2end: boolean | null },
): OutputLayout {
  const output = pickOutput(outputs);
  if (output === undefined) refuse(outputs, "the model has no outputs");
  if (output.type !== "float32") refuse(outputs, `output type ${output.type}, expected float32`);
  if (output.shape.length !== 3) refuse(outputs, `rank ${output.shape.length}, expected 3`);
  const [, a, b] = output.shape;
  const outputName = output.name;

  if (meta.end2end === true) {
    if (b !== 6) refuse(outputs, "metadata says end2end but the last axis is not 6");
    return { layout: "end2end", outputName, numClasses: null };
  }
  if (meta.end2end === null && a === END_TO_END_ROWS && b === 6) {
    return { layout: "end2end", outputName, numClasses: null };
  }

  const nc = meta.numNames;
  const v8 = isFixed(a) && a > 4 && (nc === null || a === 4 + nc);
  const v5 = isFixed(b) && b > 5 && (nc === null || b === 5 + nc);
  // When both fit, the anchor axis is the longer (or the dynamic) one.
  const anchorsLast = !isFixed(b) || (isFixed(a) && b > a);
  if (v8 && (!v5 || anchorsLast)) return { layout: "ultralytics", outputName, numClasses: (a as number) - 4 };
  if (v5) return { layout: "yolov5", outputName, numClasses: (b as number) - 5 };
  refuse(outputs, nc === null ? "no known head matches" : `no known head matches ${nc} class names`);
}

/** Reads the NCHW image input; spatial size falls back to metadata `imgsz` when the axes are dynamic. */
export function detectInputLayout(
  inputs: readonly TensorInfo[],
  imgsz: { height: number; width: number } | null,
): InputLayout {
  const input = inputs[0];
  const describe = inputs.map(formatShape).join(", ");
  if (input === undefined || inputs.length !== 1 || input.shape.length !== 4) {
    throw new InferenceError("model_layout_unknown", `expected one NCHW image input, got ${describe}`);
  }
  if (input.type !== "float32") {
    throw new InferenceError("model_layout_unknown", `input ${describe} is ${input.type}, expected float32`);
  }
  const [batch, channels, h, w] = input.shape;
  if (channels !== 3) {
    throw new InferenceError("model_layout_unknown", `input ${describe} does not take 3 channels`);
  }
  const height = isFixed(h) ? h : imgsz?.height;
  const width = isFixed(w) ? w : imgsz?.width;
  if (height === undefined || width === undefined) {
    throw new InferenceError(
      "model_layout_unknown",
      `input ${describe} has dynamic spatial axes and the metadata gives no imgsz`,
    );
  }
  return { inputName: input.name, width, height, fixedBatch: isFixed(batch) ? batch : null };
}
