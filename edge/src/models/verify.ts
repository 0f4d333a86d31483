import {
  detectInputLayout,
  detectOutputLayout,
  type LayoutName,
  ModelLayoutError,
} from "@common/onnx/layout";
import { readModelMetadata } from "@common/onnx/metadata";
import { OnnxFormatError, readOnnxModel } from "@common/onnx/onnx-proto";
import type { ModelInputSize } from "@db/schema";
import { ApiError } from "../errors";

/** What the registry records of a model file that loads as a detection model. */
export type ModelFacts = {
  classes: string[];
  inputSize: ModelInputSize;
  layout: LayoutName;
  metadata: Record<string, string>;
};

const invalid = (message: string, cause?: unknown) =>
  new ApiError("model_invalid", message, cause === undefined ? {} : { cause });

/**
 * Reads a model file once, as a stream (the weights are skipped, never held), and checks that the
 * inference service could serve it: a well-formed ONNX model whose metadata names its classes
 * (`names`), with one NCHW image input of known size and an output in a supported layout
 * (Ultralytics, YOLOv5, end-to-end), decided by the same code the service loads models with.
 */
export async function readModelFacts(body: ReadableStream<Uint8Array>): Promise<ModelFacts> {
  let model: Awaited<ReturnType<typeof readOnnxModel>>;
  try {
    model = await readOnnxModel(body);
  } catch (error) {
    if (error instanceof OnnxFormatError) throw invalid(error.message, error);
    throw error;
  }
  const meta = readModelMetadata(model.metadata, null, model.modelVersion);
  if (meta.names === null) throw invalid("The model's metadata has no class names (`names`)");
  if (meta.task !== null && meta.task !== "detect") {
    throw invalid(`The model's task is "${meta.task}", not detection`);
  }
  try {
    const input = detectInputLayout(model.inputs, meta.imgsz);
    const output = detectOutputLayout(model.outputs, {
      numNames: meta.names.length,
      end2end: meta.end2end,
      input,
    });
    return {
      classes: meta.names,
      inputSize: { height: input.height, width: input.width },
      layout: output.layout,
      metadata: model.metadata,
    };
  } catch (error) {
    if (error instanceof ModelLayoutError) throw invalid(error.message, error);
    throw error;
  }
}
