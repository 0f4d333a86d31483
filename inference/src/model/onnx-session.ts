import * as ort from "onnxruntime-node";

import type { ModelSession, SessionOptions, TensorInfo } from "./runtime";

/**
 * The only module that imports onnxruntime-node. Sessions opened here run on the calling thread;
 * the service opens them on worker threads through `createSession` in `runtime.ts`.
 */

function describe(metadata: readonly ort.InferenceSession.ValueMetadata[]): TensorInfo[] {
  return metadata.map((value) =>
    value.isTensor
      ? { name: value.name, type: value.type, shape: value.shape }
      : { name: value.name, type: "non-tensor", shape: [] },
  );
}

export async function openInThread(model: Uint8Array, options: SessionOptions = {}): Promise<ModelSession> {
  const session = await ort.InferenceSession.create(model, {
    executionProviders: ["cpu"],
    graphOptimizationLevel: options.graphOptimizationLevel ?? "all",
    ...(options.intraOpThreads ? { intraOpNumThreads: options.intraOpThreads } : {}),
    // One run at a time per session; parallelism comes from intra-op threads and batching.
    executionMode: "sequential",
    extra: { session: { intra_op: { allow_spinning: options.intraOpSpinning ? "1" : "0" } } },
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
