/**
 * Raw model throughput: images per second through `session.run` alone (no decode, no NMS), on the
 * service's own onnxruntime session settings.
 *
 *   bun inference/training/eval/speed.ts --model inference/models/weld-defects.onnx \
 *     [--threads 2] [--batch 8] [--seconds 10]
 */

import { readFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { detectInputLayout } from "@inference/model/layout";
import { readModelMetadata } from "@inference/model/metadata";
import { readOnnxHeader } from "@inference/model/onnx-proto";
import { openInThread } from "@inference/model/onnx-session";

const { values } = parseArgs({
  options: {
    model: { type: "string" },
    threads: { type: "string", default: "2" },
    batch: { type: "string", default: "8" },
    seconds: { type: "string", default: "10" },
  },
});
if (!values.model) throw new Error("usage: --model <file.onnx> [--threads 2] [--batch 8] [--seconds 10]");

const bytes = await readFile(values.model);
const header = readOnnxHeader(bytes);
const session = await openInThread(bytes, { intraOpThreads: Number(values.threads) });
const input = detectInputLayout(
  session.inputs,
  readModelMetadata(header.metadata, null, header.modelVersion).imgsz,
);
const outputName = session.outputs[0]?.name;
if (outputName === undefined) throw new Error("model has no outputs");
const batch = input.fixedBatch ?? Number(values.batch);
const dims = [batch, 3, input.height, input.width];
// Mid-grey with a little texture: constant inputs can take faster paths in some kernels.
const tensor = Float32Array.from(
  { length: batch * 3 * input.height * input.width },
  (_, i) => 0.45 + 0.1 * Math.sin(i),
);

for (let i = 0; i < 3; i++) await session.run(tensor, dims, outputName);
const budget = Number(values.seconds) * 1000;
const started = performance.now();
let runs = 0;
while (performance.now() - started < budget) {
  await session.run(tensor, dims, outputName);
  runs++;
}
const seconds = (performance.now() - started) / 1000;
await session.dispose();
console.log(
  `${values.model}: ${input.width}x${input.height}, batch ${batch}, ${values.threads} threads: ` +
    `${((runs * batch) / seconds).toFixed(1)} images/s (${((seconds * 1000) / runs).toFixed(1)} ms per run)`,
);
