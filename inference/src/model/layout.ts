import * as layouts from "@common/onnx/layout";
import { InferenceError } from "../errors";

export type { InputLayout, LayoutName, OutputLayout, TensorInfo } from "@common/onnx/layout";

/** The pure detection (`common/onnx/layout.ts`, shared with the edge's upload check), its refusal as this service's error. */
function asInferenceError<A extends unknown[], R>(detect: (...args: A) => R): (...args: A) => R {
  return (...args) => {
    try {
      return detect(...args);
    } catch (error) {
      if (error instanceof layouts.ModelLayoutError) {
        throw new InferenceError("model_layout_unknown", error.message, { cause: error });
      }
      throw error;
    }
  };
}

/** Decides the output layout from shapes and metadata; throws `model_layout_unknown` otherwise. */
export const detectOutputLayout = asInferenceError(layouts.detectOutputLayout);

/** Reads the NCHW image input; spatial size falls back to metadata `imgsz` when the axes are dynamic. */
export const detectInputLayout = asInferenceError(layouts.detectInputLayout);
