/**
 * Evaluates a detection model on a YOLO-format dataset through the inference service's own
 * decode → letterbox → run → decode → NMS path, and prints COCO-style metrics.
 *
 *   npm run eval -- --model inference/models/weld-defects.onnx --data <dataset>/data.yaml \
 *     [--split test] [--conf 0.001] [--iou 0.7] [--threshold 0.25] [--threads 2] [--limit N] [--json out.json]
 *     [--tiling auto,off,640:0.2:whole]
 *
 * `--tiling` lists the tiling modes to evaluate, each a full pass: `auto`, `off`, or
 * `tileSize[:overlap[:whole]]`. Each pass also reports its time per image against the baseline of
 * the issue's target, measured in the same run: tiles × one batched model run per input + decode.
 * mAP uses every detection above --conf (low, as Ultralytics' val does); precision and recall are
 * reported at --threshold, the service's default confidence.
 */

import { readFile, writeFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { type Tiling, TilingSchema } from "@common/contracts/tiling";
import { evaluate, type ImageResult } from "@inference/eval/average-precision";
import { loadDetector } from "@inference/model/detector";
import { formatMetricsTable } from "./report-table";
import { type FilmTiming, formatTiming, median, timingAgainstBaseline } from "./tiling-timing";
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
    tiling: { type: "string", default: "auto" },
  },
});

/** `auto`, `off`, or `tileSize[:overlap[:whole]]`. */
function parseTiling(text: string): Tiling {
  if (text === "auto" || text === "off") return text;
  const [size, overlap, whole] = text.split(":");
  return TilingSchema.parse({
    tileSize: Number(size),
    ...(overlap ? { overlap: Number(overlap) } : {}),
    wholeImage: whole === "whole",
  });
}

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

/**
 * One evaluation pass under a tiling mode. Tiled images run one at a time, so each image's total
 * time is its own (not shared with images queued beside it) and can be set against the baseline.
 */
async function evaluateWith(tiling: Tiling) {
  const tiled = tiling !== "off";
  const results: ImageResult[] = [];
  const films: FilmTiming[] = [];
  const batchSize = detector.info.maxBatch;
  // Chunks as large as the micro-batcher's batch keep the session busy without queueing everything.
  const chunk = tiled ? 1 : Math.max(1, detector.info.maxBatch);
  for (let i = 0; i < paths.length; i += chunk) {
    const batch = paths.slice(i, i + chunk);
    const bytes = await Promise.all(batch.map((p) => readFile(p)));
    // The baseline, measured right before each image: the machine's load drifts during a run.
    const runs = [
      await detector.warmup(batchSize),
      await detector.warmup(batchSize),
      await detector.warmup(batchSize),
    ];
    const perInputMs = median(runs) / batchSize;
    const detected = await detector.detect(bytes, { ...params, tiling });
    const labels = await Promise.all(batch.map((p) => readLabels(p)));
    detected.forEach((d, k) => {
      results.push({ truths: toTruths(labels[k] ?? [], d.width, d.height), predictions: d.detections });
      films.push({
        tiles: d.timings.tiles ?? 1,
        decodeMs: d.timings.decodeMs,
        tilingMs: d.timings.tilingMs ?? 0,
        runMs: d.timings.runMs,
        totalMs: d.timings.totalMs,
        perInputMs,
      });
    });
  }
  // Without the baseline runs, which are not part of detection.
  const seconds = films.reduce((sum, f) => sum + f.totalMs, 0) / 1000 / chunk;
  const numClasses = Math.max(dataset.names.length, detector.info.classNames.length);
  return { metrics: evaluate(results, numClasses, threshold), seconds, films };
}

const modes = (values.tiling ?? "auto").split(",").map(parseTiling);
const summary: Array<Record<string, unknown>> = [];
for (const tiling of modes) {
  const batch = detector.info.maxBatch;
  await detector.warmup(batch);
  const { metrics, seconds, films } = await evaluateWith(tiling);
  const label = typeof tiling === "string" ? tiling : JSON.stringify(tiling);
  console.log(
    `${detector.info.name} (${detector.info.inputWidth}x${detector.info.inputHeight}, sha256 ${detector.info.sha256.slice(0, 12)}) ` +
      `on ${values.split}, tiling ${label}: ${films.length} images, ${metrics.truths} objects, ` +
      `${(films.length / seconds).toFixed(2)} images/s end to end`,
  );
  console.log(
    `conf ${params.conf}, NMS IoU ${params.iou}; precision/recall at score ≥ ${threshold}, IoU 0.5\n`,
  );
  console.log(formatMetricsTable(metrics, dataset.names));
  const timing = timingAgainstBaseline(films);
  console.log(formatTiming(timing, batch), "\n");
  summary.push({ tiling, map50: metrics.map50, map: metrics.map, metrics, timing });
}
if (modes.length > 1) {
  console.log("tiling  mAP@0.5  mAP@0.5:0.95  tiles/image  time/baseline (median, p10–p90)");
  for (const row of summary) {
    const t = row.timing as ReturnType<typeof timingAgainstBaseline>;
    console.log(
      [
        typeof row.tiling === "string" ? row.tiling : JSON.stringify(row.tiling),
        (row.map50 as number).toFixed(3),
        (row.map as number).toFixed(3),
        t.tilesMedian.toFixed(0),
        `${t.ratioMedian.toFixed(2)} (${t.ratioP10.toFixed(2)}–${t.ratioP90.toFixed(2)})`,
      ].join("  "),
    );
  }
}
await detector.dispose();
if (values.json) {
  await writeFile(
    values.json,
    `${JSON.stringify({ model: detector.info, params, threshold, summary }, null, 2)}\n`,
  );
}
