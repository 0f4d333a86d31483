/**
 * Evaluates a detection model on a YOLO-format dataset through the inference service's own
 * decode → letterbox → run → decode → NMS path, and prints COCO-style metrics.
 *
 *   npm run eval -- --model inference/models/weld-defects.onnx --data <dataset>/data.yaml \
 *     [--split test] [--conf 0.001] [--iou 0.7] [--threshold 0.25] [--threads 2] [--limit N] [--json out.json]
 *
 * mAP uses every detection above --conf (low, as Ultralytics' val does); precision and recall are
 * reported at --threshold, the service's default confidence.
 */

import { readFile, writeFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { loadDetector } from "@inference/model/detector";
import { evaluate, type ImageResult } from "./average-precision";
import { formatMetricsTable } from "./report-table";
import { listImages, readDataYaml, readLabels, toTruths } from "./yolo-dataset";

const { values } = parseArgs({
  options: {
    model: { type: "string" },
    data: { type: "string" },
    split: { type: "string", default: "test" },
    conf: { type: "string", default: "0.001" },
    iou: { type: "string", default: "0.7" },
    threshold: { type: "string", default: "0.25" },
    "max-det": { type: "string", default: "300" },
    threads: { type: "string", default: "2" },
    limit: { type: "string" },
    json: { type: "string" },
  },
});

function number(name: string, text: string | undefined, min: number, max: number): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n < min || n > max)
    throw new Error(`--${name} must be in [${min}, ${max}], got ${text}`);
  return n;
}

if (!values.model || !values.data)
  throw new Error("usage: --model <file.onnx> --data <data.yaml> [--split test]");
const dataset = await readDataYaml(values.data);
const folder = dataset.splits[values.split];
if (!folder) throw new Error(`${values.data} has no "${values.split}" split`);
let paths = await listImages(folder);
if (values.limit) paths = paths.slice(0, number("limit", values.limit, 1, Number.MAX_SAFE_INTEGER));
if (paths.length === 0) throw new Error(`no images in ${folder}`);

const detector = await loadDetector(values.model, {
  intraOpThreads: number("threads", values.threads, 0, 256),
});
const params = {
  conf: number("conf", values.conf, 0, 1),
  iou: number("iou", values.iou, 0, 1),
  maxDet: number("max-det", values["max-det"], 1, 3000),
  classes: null,
};
const threshold = number("threshold", values.threshold, 0, 1);
if (detector.info.classNames.join() !== dataset.names.join()) {
  console.warn(`model classes [${detector.info.classNames}] differ from dataset classes [${dataset.names}]`);
}

const started = performance.now();
const results: ImageResult[] = [];
// Chunks as large as the micro-batcher's batch keep the session busy without queueing everything.
const chunk = Math.max(1, detector.info.maxBatch);
for (let i = 0; i < paths.length; i += chunk) {
  const batch = paths.slice(i, i + chunk);
  const bytes = await Promise.all(batch.map((p) => readFile(p)));
  const detected = await detector.detect(bytes, params);
  const labels = await Promise.all(batch.map((p) => readLabels(p)));
  detected.forEach((d, k) => {
    results.push({ truths: toTruths(labels[k] ?? [], d.width, d.height), predictions: d.detections });
  });
}
const seconds = (performance.now() - started) / 1000;
await detector.dispose();

const numClasses = Math.max(dataset.names.length, detector.info.classNames.length);
const metrics = evaluate(results, numClasses, threshold);
console.log(
  `${detector.info.name} (${detector.info.inputWidth}x${detector.info.inputHeight}, sha256 ${detector.info.sha256.slice(0, 12)}) ` +
    `on ${values.split}: ${results.length} images, ${metrics.truths} objects, ` +
    `${(results.length / seconds).toFixed(1)} images/s end to end`,
);
console.log(
  `conf ${params.conf}, NMS IoU ${params.iou}; precision/recall at score ≥ ${threshold}, IoU 0.5\n`,
);
console.log(formatMetricsTable(metrics, dataset.names));
if (values.json) {
  await writeFile(
    values.json,
    `${JSON.stringify({ model: detector.info, params, threshold, metrics }, null, 2)}\n`,
  );
}
