import { copyFile, mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { parseArgs } from "node:util";
import sharp from "sharp";
import { loadConfig } from "../src/config";
import { decodeResized, probeImage, setDecodeThreads } from "../src/image/decode";
import { computeLetterbox, fillTensor } from "../src/image/letterbox";
import { silentLogger } from "../src/log";
import { loadDetector } from "../src/model/detector";
import { openInThread } from "../src/model/onnx-session";
import { createService } from "../src/service";
import { sampleSeed } from "../training/generator/dataset";
import { encodePng } from "../training/generator/png";
import { renderSample } from "../training/generator/sample";

/** Generator seed of the benchmark films (any seed works; fixed so runs compare). */
const BENCH_SEED = 7;

/**
 * Throughput of one model along three paths, same model, thread count and session options:
 *   (a) raw session.run on tensors preprocessed beforehand,
 *   (b) the service's in-process path (decode → letterbox → micro-batch run → decode + NMS),
 *   (c) the same over HTTP (POST /v1/detect),
 * each with batch 1 and with micro-batching, for every intra-op thread count asked for.
 * Prints medians over the repeats and (b)/(a) per thread count and mode.
 *
 *   bun inference/bench/inference-bench.ts [--model PATH] [--images 16] [--repeats 3]
 *     [--threads 1,2] [--batch 8] [--width 1280 --height 1024] [--format jpeg|png]
 *
 * Spinning and libvips threads follow INFERENCE_INTRA_OP_SPINNING and INFERENCE_DECODE_THREADS,
 * as in the service.
 */

const { values: args } = parseArgs({
  options: {
    model: { type: "string" },
    images: { type: "string", default: "16" },
    repeats: { type: "string", default: "3" },
    threads: { type: "string" },
    batch: { type: "string", default: "8" },
    width: { type: "string", default: "1280" },
    height: { type: "string", default: "1024" },
    format: { type: "string", default: "jpeg" },
  },
});

const config = loadConfig();
const imageCount = Number(args.images);
const repeats = Number(args.repeats);
const threadCounts = (args.threads ?? String(config.INTRA_OP_THREADS)).split(",").map(Number);
const maxBatch = Number(args.batch);
const format = args.format === "png" ? "png" : "jpeg";
const sessionOptions = (threads: number) => ({
  intraOpThreads: threads,
  intraOpSpinning: config.INTRA_OP_SPINNING,
  graphOptimizationLevel: config.GRAPH_OPT_LEVEL,
});
const PARAMS = {
  conf: config.DEFAULT_CONF,
  iou: config.DEFAULT_IOU,
  maxDet: config.DEFAULT_MAX_DET,
  classes: null,
};
setDecodeThreads(config.DECODE_THREADS);

async function defaultModelPath(): Promise<string> {
  const files = (await readdir(config.MODELS_DIR).catch(() => [])).filter((f) => f.endsWith(".onnx")).sort();
  const wanted = config.DEFAULT_MODEL === undefined ? files[0] : `${config.DEFAULT_MODEL}.onnx`;
  if (wanted === undefined || !files.includes(wanted)) {
    throw new Error(
      `no model in ${config.MODELS_DIR}; pass --model PATH (inference/bench/make-bench-model.py builds one)`,
    );
  }
  return join(config.MODELS_DIR, wanted);
}

/**
 * Weld radiographs from the project's own film generator (the default model's domain), scaled to
 * one size as a digitised film would be and encoded as 8-bit greyscale JPEG (quality 90) or PNG.
 */
async function radiographs(count: number, width: number, height: number): Promise<Uint8Array[]> {
  const images: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const film = renderSample(sampleSeed(BENCH_SEED, "test", i), { imgsz: 640 }).image;
    const scaled = sharp(await encodePng(film, 8)).resize(width, height, { fit: "fill" });
    const encoded = format === "png" ? scaled.png() : scaled.jpeg({ quality: 90 });
    images.push(new Uint8Array(await encoded.toBuffer()));
  }
  return images;
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};

type Stage = "decode" | "preprocess" | "run" | "postprocess" | "total";
interface Row {
  threads: number;
  path: string;
  mode: string;
  imagesPerSecond: number;
  stages: Partial<Record<Stage, number>>;
}

/** One configuration to measure: a pass over all images returns its wall seconds. */
interface Subject {
  threads: number;
  path: string;
  batch: number;
  pass(): Promise<number>;
  samples: Partial<Record<Stage, number[]>>;
  close(): Promise<void>;
}

const modeName = (batch: number) => (batch === 1 ? "batch 1" : `batch ≤${batch}`);

/** Requests in flight per mode: enough to overlap decoding with the model run. */
const concurrencyFor = (batch: number) => Math.max(2, batch * 2);

/** Runs `work` over every item with at most `concurrency` in flight; returns wall seconds. */
async function pool<T>(items: T[], concurrency: number, work: (item: T) => Promise<void>): Promise<number> {
  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) await work(items[next++] as T);
    }),
  );
  return (performance.now() - started) / 1000;
}

function record(samples: Subject["samples"], stage: Stage, ms: number): void {
  samples[stage] ??= [];
  samples[stage].push(ms);
}

/** (a) session.run alone, on tensors letterboxed beforehand, in groups of `batch`. */
async function rawSubject(
  modelPath: string,
  images: Uint8Array[],
  threads: number,
  batch: number,
): Promise<Subject> {
  const probe = await loadDetector(modelPath, sessionOptions(threads));
  const { inputWidth: width, inputHeight: height } = probe.info;
  await probe.dispose();
  const session = await openInThread(await Bun.file(modelPath).bytes(), sessionOptions(threads));
  const outputName = session.outputs.find((o) => o.name === "output" || o.name === "output0")?.name ?? "";
  const imageSize = 3 * width * height;
  const groups: Float32Array[] = [];
  for (let i = 0; i < images.length; i += batch) {
    const slice = images.slice(i, i + batch);
    const joined = new Float32Array(slice.length * imageSize);
    for (const [j, bytes] of slice.entries()) {
      const info = await probeImage(bytes, config.MAX_IMAGE_PIXELS);
      const lb = computeLetterbox(info.width, info.height, width, height);
      fillTensor(await decodeResized(bytes, lb, config.MAX_IMAGE_PIXELS), lb, joined, j * imageSize);
    }
    groups.push(joined);
  }
  await session.run(
    groups[0] as Float32Array,
    [(groups[0] as Float32Array).length / imageSize, 3, height, width],
    outputName,
  );
  const samples: Subject["samples"] = {};
  return {
    threads,
    path: "(a) session.run",
    batch,
    samples,
    async pass() {
      const started = performance.now();
      for (const group of groups) {
        const size = group.length / imageSize;
        const t = performance.now();
        await session.run(group, [size, 3, height, width], outputName);
        record(samples, "run", (performance.now() - t) / size);
      }
      return (performance.now() - started) / 1000;
    },
    close: () => session.dispose(),
  };
}

/** (b) the service's in-process path: `Detector.detect`, one image per call, several in flight. */
async function inProcessSubject(
  modelPath: string,
  images: Uint8Array[],
  threads: number,
  batch: number,
): Promise<Subject> {
  const detector = await loadDetector(modelPath, {
    ...sessionOptions(threads),
    maxBatch: batch,
    maxWaitMs: config.MAX_WAIT_MS,
  });
  await detector.warmup();
  const samples: Subject["samples"] = {};
  return {
    threads,
    path: "(b) in-process",
    batch,
    samples,
    pass: () =>
      pool(images, concurrencyFor(batch), async (bytes) => {
        const [result] = await detector.detect([bytes], PARAMS);
        if (result === undefined) throw new Error("no result");
        record(samples, "decode", result.timings.decodeMs);
        record(samples, "preprocess", result.timings.preprocessMs);
        record(samples, "run", result.timings.runMs / result.batchSize);
        record(samples, "postprocess", result.timings.postprocessMs);
        record(samples, "total", result.timings.totalMs);
      }),
    close: () => detector.dispose(),
  };
}

/** (c) the same through `POST /v1/detect` on a local listener. */
async function httpSubject(
  modelDir: string,
  images: Uint8Array[],
  threads: number,
  batch: number,
): Promise<Subject> {
  const token = crypto.randomUUID();
  const service = await createService(
    loadConfig({
      ...process.env,
      INFERENCE_MODELS_DIR: modelDir,
      INFERENCE_DEFAULT_MODEL: undefined,
      INFERENCE_API_TOKEN: token,
      INFERENCE_INTRA_OP_THREADS: String(threads),
      INFERENCE_MAX_BATCH: String(batch),
      INFERENCE_CF_ACCOUNT_ID: undefined,
      INFERENCE_CF_QUEUE_ID: undefined,
      INFERENCE_CF_API_TOKEN: undefined,
    }),
    silentLogger,
  );
  await service.models.warmup();
  const server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    fetch: service.app.fetch,
    maxRequestBodySize: config.MAX_IMAGE_BYTES,
  });
  const url = `${server.url.origin}/v1/detect`;
  const samples: Subject["samples"] = {};
  return {
    threads,
    path: "(c) HTTP",
    batch,
    samples,
    pass: () =>
      pool(images, concurrencyFor(batch), async (bytes) => {
        const started = performance.now();
        const response = await fetch(url, {
          method: "POST",
          body: bytes,
          headers: { authorization: `Bearer ${token}` },
        });
        if (!response.ok) throw new Error(`detect answered ${response.status}: ${await response.text()}`);
        await response.json();
        record(samples, "total", performance.now() - started);
      }),
    async close() {
      await server.stop();
      await service.drain();
      await service.close();
    },
  };
}

function printTable(rows: Row[]): void {
  const fmt = (v: number | undefined) => (v === undefined ? "" : v.toFixed(1));
  const header = [
    "threads",
    "path",
    "mode",
    "images/s",
    "decode ms",
    "preprocess ms",
    "run ms/img",
    "postprocess ms",
    "latency ms",
  ];
  const lines = rows.map((r) => [
    String(r.threads),
    r.path,
    r.mode,
    r.imagesPerSecond.toFixed(2),
    fmt(r.stages.decode),
    fmt(r.stages.preprocess),
    fmt(r.stages.run),
    fmt(r.stages.postprocess),
    fmt(r.stages.total),
  ]);
  console.log(`| ${header.join(" | ")} |`);
  console.log(`|${header.map(() => "---").join("|")}|`);
  for (const line of lines) console.log(`| ${line.join(" | ")} |`);
}

const modelPath = args.model ?? (await defaultModelPath());
const images = await radiographs(imageCount, Number(args.width), Number(args.height));
const probe = await loadDetector(modelPath);
const { dynamicBatch, name, inputWidth, inputHeight } = probe.info;
await probe.dispose();
const meanKb = images.reduce((sum, image) => sum + image.length, 0) / images.length / 1024;
console.log(
  `model ${name} (${inputWidth}x${inputHeight}, ${dynamicBatch ? "dynamic" : "fixed"} batch), ${imageCount} ` +
    `${args.width}x${args.height} ${format.toUpperCase()} radiographs (mean ${meanKb.toFixed(0)} KiB), ` +
    `intra-op spinning ${config.INTRA_OP_SPINNING ? "on" : "off"}, libvips threads ${config.DECODE_THREADS}, ` +
    `${repeats} repeats, medians\n`,
);

// The HTTP path serves a folder holding only the measured model (and its sidecar, if any).
const modelDir = await mkdtemp(join(tmpdir(), "inference-bench-"));
await copyFile(modelPath, join(modelDir, basename(modelPath)));
await copyFile(
  modelPath.replace(/\.onnx$/, ".json"),
  join(modelDir, basename(modelPath).replace(/\.onnx$/, ".json")),
).catch(() => undefined);
const batches = dynamicBatch ? [1, maxBatch] : [1];
const rows: Row[] = [];
try {
  // One thread count at a time, so idle sessions of another count hold no threads meanwhile.
  for (const threads of threadCounts) {
    const subjects: Subject[] = [];
    try {
      for (const batch of batches) subjects.push(await rawSubject(modelPath, images, threads, batch));
      for (const batch of batches) subjects.push(await inProcessSubject(modelPath, images, threads, batch));
      for (const batch of batches) subjects.push(await httpSubject(modelDir, images, threads, batch));
      // Every repeat measures every subject in turn, so background load falls on all paths alike.
      const rates = new Map<Subject, number[]>(subjects.map((s) => [s, []]));
      for (let r = 0; r < repeats; r++) {
        for (const subject of subjects) rates.get(subject)?.push(images.length / (await subject.pass()));
      }
      for (const subject of subjects) {
        rows.push({
          threads,
          path: subject.path,
          mode: modeName(subject.batch),
          imagesPerSecond: median(rates.get(subject) ?? []),
          stages: Object.fromEntries(
            Object.entries(subject.samples).map(([stage, values]) => [stage, median(values)]),
          ),
        });
      }
    } finally {
      for (const subject of subjects) await subject.close();
    }
  }
  printTable(rows);
  console.log("");
  for (const row of rows.filter((r) => r.path.startsWith("(b)"))) {
    const base = rows.find(
      (r) => r.path.startsWith("(a)") && r.mode === row.mode && r.threads === row.threads,
    );
    if (base) {
      const ratio = (row.imagesPerSecond / base.imagesPerSecond).toFixed(3);
      console.log(`threads ${row.threads || "default"}, ${row.mode}: (b)/(a) = ${ratio}`);
    }
  }
} finally {
  await rm(modelDir, { recursive: true, force: true });
}
