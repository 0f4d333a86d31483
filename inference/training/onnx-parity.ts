/**
 * Checks a torch model rebuilt from an ONNX file (`yolo/from_onnx.py --probe <prefix>`) against the
 * ONNX file itself: runs the probe input through onnxruntime (the service's session module) and
 * prints the largest absolute difference from the torch output.
 *
 *   bun inference/training/onnx-parity.ts --model inference/models/weld-defects.onnx --probe /tmp/ndt/probe
 */

import { readFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { openInThread } from "../src/model/onnx-session";

export interface Parity {
  /** Largest |onnx − torch| over all outputs. */
  maxAbsDiff: number;
  /** Largest difference among the box coordinates (input pixels) and among the class scores. */
  maxBoxDiff: number;
  maxScoreDiff: number;
  dims: readonly number[];
}

const floats = async (path: string): Promise<Float32Array> => {
  const bytes = await readFile(path);
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
};

export async function compareProbe(modelPath: string, probePrefix: string): Promise<Parity> {
  const session = await openInThread(await readFile(modelPath), { intraOpThreads: 1 });
  try {
    const input = await floats(`${probePrefix}.input.bin`);
    const expected = await floats(`${probePrefix}.output.bin`);
    const size = session.inputs[0]?.shape[2];
    if (typeof size !== "number") throw new Error(`${modelPath}: input size is not fixed`);
    const batch = input.length / (3 * size * size);
    const outputName = session.outputs[0]?.name ?? "output0";
    const { data, dims } = await session.run(input, [batch, 3, size, size], outputName);
    if (data.length !== expected.length) {
      throw new Error(`output has ${data.length} values, the probe ${expected.length}`);
    }
    const channels = Number(dims[1]);
    const anchors = Number(dims[2]);
    let maxBoxDiff = 0;
    let maxScoreDiff = 0;
    for (let i = 0; i < data.length; i++) {
      const diff = Math.abs((data[i] ?? 0) - (expected[i] ?? 0));
      const channel = Math.floor(i / anchors) % channels;
      if (channel < 4) maxBoxDiff = Math.max(maxBoxDiff, diff);
      else maxScoreDiff = Math.max(maxScoreDiff, diff);
    }
    return { maxAbsDiff: Math.max(maxBoxDiff, maxScoreDiff), maxBoxDiff, maxScoreDiff, dims };
  } finally {
    await session.dispose();
  }
}

if (import.meta.main) {
  const { values } = parseArgs({ options: { model: { type: "string" }, probe: { type: "string" } } });
  if (!values.model || !values.probe) throw new Error("--model <onnx> and --probe <prefix> are required");
  const parity = await compareProbe(values.model, values.probe);
  console.log(
    `output [${parity.dims.join(", ")}]: max |onnx - torch| ${parity.maxAbsDiff.toExponential(2)} ` +
      `(boxes ${parity.maxBoxDiff.toExponential(2)} px, scores ${parity.maxScoreDiff.toExponential(2)})`,
  );
}
