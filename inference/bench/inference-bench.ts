import { copyFile, mkdtemp, readdir, rm } from "node:fs/promises";
import { availableParallelism, tmpdir } from "node:os";
import { basename, join } from "node:path";
import { parseArgs } from "node:util";
import { sampleSeed } from "@generator/dataset";
import { encodePng } from "@generator/png";
import { renderSample } from "@generator/sample";
import * as ort from "onnxruntime-node";
import sharp from "sharp";
import { loadConfig } from "../src/config";
import { decodeResized, probeImage, setDecodeThreads } from "../src/image/decode";
import { computeLetterbox, fillTensor } from "../src/image/letterbox";
import { silentLogger } from "../src/log";
import { loadDetector } from "../src/model/detector";
import { createService } from "../src/service";

/** Generator seed of the benchmark films (any seed works; fixed so runs compare). */
const BENCH_SEED = 7;

/**
 * Does the service's machinery (worker-thread session, micro-batcher, queues, HTTP) cost anything
 * over the simplest program doing the same work? Four paths over the same films, same model and
 * intra-op thread count, measured in one run, each repeat visiting every path in turn so
 * background load falls on all alike:
 *   (a)  session.run alone on tensors prepared beforehand: the model's ceiling, no decoding;
 *   (a′) the baseline: a plain loop that decodes with sharp (greyscale, contain-resize with grey
 *        114 padding; libvips shrinks JPEGs while decoding), fills a float32 NCHW tensor and calls
 *        session.run, with N images in flight;
 *   (b)  the service's in-process path, `Detector.detect`, N images in flight;
 *   (c)  the same through `POST /v1/detect`, N requests in flight;
 * for each N of `--in-flight`. Prints images/s (median and range over the repeats), per-image
 * latency p50/p99, and (b)/(a′), (c)/(a′) at the best N of each.
 *
 *   bun inference/bench/inference-bench.ts [--model PATH] [--images 32] [--repeats 5]
 *     [--in-flight 1,2,4,8] [--threads N] [--width 1280 --height 1024] [--format jpeg|png]
 *
 * The service runs with its configuration (INFERENCE_* variables, defaults by core count);
 * `--threads` sets the intra-op threads of every path.
 */

const { values: args } = parseArgs({
  options: {
    model: { type: "string" },
    images: { type: "string", default: "32" },
    repeats: { type: "string", default: "5" },
    "in-flight": { type: "string", default: "1,2,4,8" },
    threads: { type: "string" },
    width: { type: "string", default: "1280" },
    height: { type: "string", default: "1024" },
    format: { type: "string", default: "jpeg" },
  },
});

const config = loadConfig({
  ...process.env,
  ...(args.threads ? { INFERENCE_INTRA_OP_THREADS: args.threads } : {}),
});
const imageCount = Number(args.images);
const repeats = Number(args.repeats);
const inFlightCounts = (args["in-flight"] ?? "2").split(",").map(Number);
const threads = config.INTRA_OP_THREADS;
const format = args.format === "png" ? "png" : "jpeg";
const sessionOptions = {
  intraOpThreads: threads,
  intraOpSpinning: config.INTRA_OP_SPINNING,
  graphOptimizationLevel: config.GRAPH_OPT_LEVEL,
};
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

const quantile = (values: number[], q: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
};
const median = (values: number[]) => quantile(values, 0.5);

/** One path at one in-flight count: a pass over all films returns its wall seconds. */
interface Subject {
  path: string;
  inFlight: number;
  pass(): Promise<number>;
  /** Per-image latency of every pass, ms. */
  latencies: number[];
  close(): Promise<void>;
}

/** Runs `work` over every item with at most `concurrency` in flight; returns wall seconds. */
async function pool<T>(
  items: T[],
  concurrency: number,
  latencies: number[],
  work: (item: T) => Promise<void>,
): Promise<number> {
  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) {
        const item = items[next++] as T;
        const t = performance.now();
        await work(item);
        latencies.push(performance.now() - t);
      }
    }),
  );
  return (performance.now() - started) / 1000;
}

/** The model's input size and the output the service reads, from the service's own loader. */
async function modelShape(modelPath: string) {
  const detector = await loadDetector(modelPath, sessionOptions);
  const { inputWidth: width, inputHeight: height } = detector.info;
  await detector.dispose();
  const session = await ort.InferenceSession.create(modelPath, {
    executionProviders: ["cpu"],
    graphOptimizationLevel: config.GRAPH_OPT_LEVEL,
    intraOpNumThreads: threads,
    executionMode: "sequential",
  });
  const output = session.outputNames.find((n) => n === "output" || n === "output0") ?? session.outputNames[0];
  return { width, height, session, input: session.inputNames[0] as string, output: output as string };
}

/** (a) session.run alone, one image at a time, on tensors letterboxed beforehand. */
async function rawSubject(modelPath: string, images: Uint8Array[]): Promise<Subject> {
  const { width, height, session, input, output } = await modelShape(modelPath);
  const tensors: Float32Array[] = [];
  for (const bytes of images) {
    const info = await probeImage(bytes, config.MAX_IMAGE_PIXELS);
    const lb = computeLetterbox(info.width, info.height, width, height);
    const tensor = new Float32Array(3 * width * height);
    fillTensor(await decodeResized(bytes, lb, config.MAX_IMAGE_PIXELS), lb, tensor);
    tensors.push(tensor);
  }
  const latencies: number[] = [];
  return {
    path: "(a) session.run",
    inFlight: 1,
    latencies,
    pass: () =>
      pool(tensors, 1, latencies, async (tensor) => {
        await session.run({ [input]: new ort.Tensor("float32", tensor, [1, 3, height, width]) }, [output]);
      }),
    close: () => session.release(),
  };
}

/** (a′) the plain loop: decode and letterbox with sharp, a tensor, session.run. */
async function handLoopSubject(modelPath: string, images: Uint8Array[], inFlight: number): Promise<Subject> {
  const { width, height, session, input, output } = await modelShape(modelPath);
  const plane = width * height;
  const latencies: number[] = [];
  return {
    path: "(a′) plain loop",
    inFlight,
    latencies,
    pass: () =>
      pool(images, inFlight, latencies, async (bytes) => {
        const grey = await sharp(bytes)
          .greyscale()
          .resize(width, height, { fit: "contain", background: { r: 114, g: 114, b: 114 } })
          .raw()
          .toBuffer();
        const tensor = new Float32Array(3 * plane);
        for (let i = 0; i < plane; i++) tensor[i] = (grey[i] as number) / 255;
        tensor.copyWithin(plane, 0, plane);
        tensor.copyWithin(2 * plane, 0, plane);
        await session.run({ [input]: new ort.Tensor("float32", tensor, [1, 3, height, width]) }, [output]);
      }),
    close: () => session.release(),
  };
}

/** (b) the service's in-process path: `Detector.detect`, one image per call. */
async function inProcessSubject(modelPath: string, images: Uint8Array[], inFlight: number): Promise<Subject> {
  const detector = await loadDetector(modelPath, {
    ...sessionOptions,
    maxBatch: config.MAX_BATCH,
    maxWaitMs: config.MAX_WAIT_MS,
  });
  await detector.warmup();
  const latencies: number[] = [];
  return {
    path: "(b) in-process",
    inFlight,
    latencies,
    pass: () =>
      pool(images, inFlight, latencies, async (bytes) => {
        const [result] = await detector.detect([bytes], PARAMS);
        if (result === undefined) throw new Error("no result");
      }),
    close: () => detector.dispose(),
  };
}

/** (c) the same through `POST /v1/detect` on a local listener. */
async function httpSubject(modelDir: string, images: Uint8Array[], inFlight: number): Promise<Subject> {
  const token = crypto.randomUUID();
  const service = await createService(
    loadConfig({
      ...process.env,
      INFERENCE_MODELS_DIR: modelDir,
      INFERENCE_DEFAULT_MODEL: undefined,
      INFERENCE_API_TOKEN: token,
      INFERENCE_INTRA_OP_THREADS: String(threads),
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
  const latencies: number[] = [];
  return {
    path: "(c) HTTP",
    inFlight,
    latencies,
    pass: () =>
      pool(images, inFlight, latencies, async (bytes) => {
        const response = await fetch(url, {
          method: "POST",
          body: bytes,
          headers: { authorization: `Bearer ${token}` },
        });
        if (!response.ok) throw new Error(`detect answered ${response.status}: ${await response.text()}`);
        await response.json();
      }),
    async close() {
      await server.stop();
      await service.drain();
      await service.close();
    },
  };
}

type Row = { path: string; inFlight: number; rates: number[]; latencies: number[] };

function printTable(rows: Row[]): void {
  console.log("| path | in flight | images/s median | range | latency p50 ms | latency p99 ms |");
  console.log("|---|---|---|---|---|---|");
  for (const row of rows) {
    const range = `${Math.min(...row.rates).toFixed(1)}–${Math.max(...row.rates).toFixed(1)}`;
    console.log(
      `| ${row.path} | ${row.inFlight} | ${median(row.rates).toFixed(1)} | ${range} | ` +
        `${median(row.latencies).toFixed(1)} | ${quantile(row.latencies, 0.99).toFixed(1)} |`,
    );
  }
}

/** The row of `path` with the highest median rate. */
const best = (rows: Row[], path: string) =>
  rows
    .filter((row) => row.path.startsWith(path))
    .reduce<Row | undefined>((a, b) => (a && median(a.rates) >= median(b.rates) ? a : b), undefined);

const modelPath = args.model ?? (await defaultModelPath());
const images = await radiographs(imageCount, Number(args.width), Number(args.height));
const probe = await loadDetector(modelPath);
const { name, inputWidth, inputHeight } = probe.info;
await probe.dispose();
const meanKb = images.reduce((sum, image) => sum + image.length, 0) / images.length / 1024;
console.log(
  `model ${name} (${inputWidth}x${inputHeight}), ${imageCount} ${args.width}x${args.height} ` +
    `${format.toUpperCase()} radiographs (mean ${meanKb.toFixed(0)} KiB), ${availableParallelism()} cores, ` +
    `intra-op threads ${threads}, decode concurrency ${config.DECODE_CONCURRENCY}, max batch ${config.MAX_BATCH}, ` +
    `${repeats} repeats\n`,
);

// The HTTP path serves a folder holding only the measured model (and its sidecar, if any).
const modelDir = await mkdtemp(join(tmpdir(), "inference-bench-"));
await copyFile(modelPath, join(modelDir, basename(modelPath)));
await copyFile(
  modelPath.replace(/\.onnx$/, ".json"),
  join(modelDir, basename(modelPath).replace(/\.onnx$/, ".json")),
).catch(() => undefined);
const subjects: Subject[] = [];
try {
  subjects.push(await rawSubject(modelPath, images));
  for (const n of inFlightCounts) subjects.push(await handLoopSubject(modelPath, images, n));
  for (const n of inFlightCounts) subjects.push(await inProcessSubject(modelPath, images, n));
  for (const n of inFlightCounts) subjects.push(await httpSubject(modelDir, images, n));
  const rates = new Map<Subject, number[]>(subjects.map((subject) => [subject, []]));
  // A warm-up pass each, then every repeat visits every subject in turn.
  for (const subject of subjects) await subject.pass();
  for (const subject of subjects) subject.latencies.length = 0;
  for (let r = 0; r < repeats; r++) {
    for (const subject of subjects) rates.get(subject)?.push(images.length / (await subject.pass()));
  }
  const rows = subjects.map((subject) => ({
    path: subject.path,
    inFlight: subject.inFlight,
    rates: rates.get(subject) ?? [],
    latencies: subject.latencies,
  }));
  printTable(rows);
  const baseline = best(rows, "(a′)");
  console.log("");
  for (const path of ["(b)", "(c)"]) {
    const row = best(rows, path);
    if (row && baseline) {
      console.log(
        `${path} at ${row.inFlight} in flight / (a′) at ${baseline.inFlight}: ` +
          `${(median(row.rates) / median(baseline.rates)).toFixed(3)}`,
      );
    }
  }
} finally {
  for (const subject of subjects) await subject.close();
  await rm(modelDir, { recursive: true, force: true });
}
