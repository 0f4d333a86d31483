import * as ort from "onnxruntime-node";

/**
 * The only module that imports onnxruntime-node: sessions are created here once per model and
 * every inference call goes through `runSession`.
 */

export type GraphOptimizationLevel = "disabled" | "basic" | "extended" | "all";

export interface SessionOptions {
  /** 0 lets onnxruntime choose (one thread per physical core). */
  intraOpThreads?: number;
  graphOptimizationLevel?: GraphOptimizationLevel;
}

export interface TensorInfo {
  name: string;
  type: string;
  /** Numbers for fixed axes, strings (or -1 when unnamed) for dynamic ones. */
  shape: ReadonlyArray<number | string>;
}

export interface ModelSession {
  inputs: TensorInfo[];
  outputs: TensorInfo[];
  /** Runs the model on one float32 input and returns the named output. */
  run(input: Float32Array, dims: readonly number[], outputName: string): Promise<OutputTensor>;
  dispose(): Promise<void>;
}

export interface OutputTensor {
  data: Float32Array;
  dims: readonly number[];
}

function describe(metadata: readonly ort.InferenceSession.ValueMetadata[]): TensorInfo[] {
  return metadata.map((value) =>
    value.isTensor
      ? { name: value.name, type: value.type, shape: value.shape }
      : { name: value.name, type: "non-tensor", shape: [] },
  );
}

export async function createSession(model: Uint8Array, options: SessionOptions = {}): Promise<ModelSession> {
  const session = await ort.InferenceSession.create(model, {
    executionProviders: ["cpu"],
    graphOptimizationLevel: options.graphOptimizationLevel ?? "all",
    ...(options.intraOpThreads ? { intraOpNumThreads: options.intraOpThreads } : {}),
    // One run at a time per session; parallelism comes from intra-op threads and batching.
    executionMode: "sequential",
  });
  const inputs = describe(session.inputMetadata);
  const outputs = describe(session.outputMetadata);
  const inputName = inputs[0]?.name;
  return {
    inputs,
    outputs,
    async run(input, dims, outputName) {
      if (inputName === undefined) throw new Error("model has no inputs");
      const feeds = { [inputName]: new ort.Tensor("float32", input, dims) };
      const result = await session.run(feeds, [outputName]);
      const output = result[outputName];
      if (output === undefined || !(output.data instanceof Float32Array)) {
        throw new Error(`output ${outputName} is missing or not float32`);
      }
      return { data: output.data, dims: output.dims };
    },
    dispose: () => session.release(),
  };
}
