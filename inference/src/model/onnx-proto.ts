import { OnnxFormatError, type OnnxModelHeader, readOnnxHeader as readHeader } from "@common/onnx/onnx-proto";
import { InferenceError } from "../errors";

export type { OnnxModelHeader } from "@common/onnx/onnx-proto";

/**
 * Reads `model_version` and `metadata_props` from serialized ONNX model bytes (the reader is
 * `common/onnx/onnx-proto.ts`, shared with the edge's upload check); a malformed file is this
 * service's `model_load_failed`.
 */
export function readOnnxHeader(bytes: Uint8Array): OnnxModelHeader {
  try {
    return readHeader(bytes);
  } catch (error) {
    if (error instanceof OnnxFormatError) {
      throw new InferenceError("model_load_failed", error.message, { cause: error });
    }
    throw error;
  }
}
