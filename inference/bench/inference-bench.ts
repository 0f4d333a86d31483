import { copyFile, mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { parseArgs } from "node:util";
import sharp from "sharp";
import { loadConfig } from "../src/config";
import { decodeResized, probeImage } from "../src/image/decode";
import { computeLetterbox, fillTensor } from "../src/image/letterbox";
import { silentLogger } from "../src/log";
import { loadDetector } from "../src/model/detector";
import { createSession } from "../src/model/runtime";
import { createService } from "../src/service";

/**
 * Throughput of one model along three paths, same model and thread count:
 *   (a) raw session.run on tensors preprocessed beforehand,
 *   (b) the service's in-process path (decode → letterbox → micro-batch run → decode + NMS),
 *   (c) the same over HTTP (POST /v1/detect),
 * each with batch 1 and with micro-batching. Prints medians over the repeats.
 *
 *   bun inference/bench/inference-bench.ts [--model PATH] [--images 16] [--repeats 3]
 *     [--threads N] [--batch 8] [--width 1280 --height 1024]
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
  },
});

const config = loadConfig();
const imageCount = Number(args.images);
const repeats = Number(args.repeats);
const threads = Number(args.threads ?? config.INTRA_OP_THREADS);
const maxBatch = Number(args.batch);
const PARAMS = {
  conf: config.DEFAULT_CONF,
  iou: config.DEFAULT_IOU,
  maxDet: config.DEFAULT_MAX_DET,
  classes: null,
};

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

/** Grey radiograph-like JPEGs: noise plus a few bright and dark blobs, different per image. */
async function syntheticImages(count: number, width: number, height: number): Promise<Uint8Array[]> {
  const images: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const pixels = Buffer.alloc(width * height);
    let seed = i * 7919 + 1;
    for (let p = 0; p < pixels.length; p++) {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      pixels[p] = 90 + (seed % 40);
    }
    for (let blob = 0; blob < 6; blob++) {
      const cx = ((i + 1) * (blob + 3) * 131) % width;
      const cy = ((i + 2) * (blob + 5) * 97) % height;
      for (let y = Math.max(0, cy - 20); y < Math.min(height, cy + 20); y++) {
        pixels.fill(
          blob % 2 ? 230 : 20,
          y * width + Math.max(0, cx - 30),
          y * width + Math.min(width, cx + 30),
        );
      }
    }
    const jpeg = await sharp(pixels, { raw: { width, height, channels: 1 } })
      .jpeg({ quality: 90 })
      .toBuffer();
    images.push(new Uint8Array(jpeg));
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

type StageMs = { decode: number; preprocess: number; run: number; postprocess: number; total: number };
interface Row {
  path: string;
  mode: string;
  imagesPerSecond: number;
  stages: Partial<StageMs>;
}

/** Runs `work` over every image with at most `concurrency` in flight; returns wall seconds. */
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

async function rawSession(modelPath: string, images: Uint8Array[]): Promise<Row[]> {
  const detector = await loadDetector(modelPath, { intraOpThreads: threads });
  const { inputWidth: width, inputHeight: height, dynamicBatch } = detector.info;
  await detector.dispose();
  const session = await createSession(await Bun.file(modelPath).bytes(), { intraOpThreads: threads });
  const outputName = session.outputs.find((o) => o.name === "output" || o.name === "output0")?.name ?? "";
  const tensors: Float32Array[] = [];
  for (const bytes of images) {
    const info = await probeImage(bytes, config.MAX_PIXELS);
    const lb = computeLetterbox(info.width, info.height, width, height);
    const tensor = new Float32Array(3 * width * height);
    fillTensor(await decodeResized(bytes, lb, config.MAX_PIXELS), lb, tensor);
    tensors.push(tensor);
  }
  await session.run(tensors[0] as Float32Array, [1, 3, height, width], outputName);
  const rows: Row[] = [];
  for (const batch of dynamicBatch ? [1, maxBatch] : [1]) {
    const groups: Float32Array[] = [];
    for (let i = 0; i < tensors.length; i += batch) {
      const slice = tensors.slice(i, i + batch);
      const joined = new Float32Array(slice.length * 3 * width * height);
      slice.forEach((t, j) => {
        joined.set(t, j * t.length);
      });
      groups.push(joined);
    }
    const rates: number[] = [];
    const runMs: number[] = [];
    for (let r = 0; r < repeats; r++) {
      const started = performance.now();
      for (const group of groups) {
        const size = group.length / (3 * width * height);
        const t = performance.now();
        await session.run(group, [size, 3, height, width], outputName);
        runMs.push((performance.now() - t) / size);
      }
      rates.push(tensors.length / ((performance.now() - started) / 1000));
    }
    rows.push({
      path: "(a) session.run",
      mode: modeName(batch),
      imagesPerSecond: median(rates),
      stages: { run: median(runMs) },
    });
  }
  await session.dispose();
  return rows;
}

const modeName = (batch: number) => (batch === 1 ? "batch 1" : `batch ≤${batch}`);

/** Concurrency per mode: enough in flight to overlap decoding with the model run. */
const concurrencyFor = (batch: number) => Math.max(2, batch * 2);

async function inProcess(modelPath: string, images: Uint8Array[], dynamicBatch: boolean): Promise<Row[]> {
  const rows: Row[] = [];
  for (const batch of dynamicBatch ? [1, maxBatch] : [1]) {
    const detector = await loadDetector(modelPath, {
      intraOpThreads: threads,
      maxBatch: batch,
      maxWaitMs: config.MAX_WAIT_MS,
    });
    await detector.warmup();
    const rates: number[] = [];
    const stages: Record<keyof StageMs, number[]> = {
      decode: [],
      preprocess: [],
      run: [],
      postprocess: [],
      total: [],
    };
    for (let r = 0; r < repeats; r++) {
      const seconds = await pool(images, concurrencyFor(batch), async (bytes) => {
        const [result] = await detector.detect([bytes], PARAMS);
        if (result === undefined) return;
        stages.decode.push(result.timings.decodeMs);
        stages.preprocess.push(result.timings.preprocessMs);
        stages.run.push(result.timings.runMs / result.batchSize);
        stages.postprocess.push(result.timings.postprocessMs);
        stages.total.push(result.timings.totalMs);
      });
      rates.push(images.length / seconds);
    }
    await detector.dispose();
    rows.push({
      path: "(b) in-process",
      mode: modeName(batch),
      imagesPerSecond: median(rates),
      stages: Object.fromEntries(Object.entries(stages).map(([k, v]) => [k, median(v)])),
    });
  }
  return rows;
}

async function overHttp(modelPath: string, images: Uint8Array[], dynamicBatch: boolean): Promise<Row[]> {
  const dir = await mkdtemp(join(tmpdir(), "inference-bench-"));
  const rows: Row[] = [];
  try {
    await copyFile(modelPath, join(dir, basename(modelPath)));
    await copyFile(
      modelPath.replace(/\.onnx$/, ".json"),
      join(dir, basename(modelPath).replace(/\.onnx$/, ".json")),
    ).catch(() => undefined);
    for (const batch of dynamicBatch ? [1, maxBatch] : [1]) {
      const token = crypto.randomUUID();
      const service = await createService(
        loadConfig({
          ...process.env,
          INFERENCE_MODELS_DIR: dir,
          INFERENCE_DEFAULT_MODEL: undefined,
          INFERENCE_SERVICE_TOKEN: token,
          INFERENCE_INTRA_OP_THREADS: String(threads),
          INFERENCE_MAX_BATCH: String(batch),
          INFERENCE_CF_ACCOUNT_ID: undefined,
        }),
        silentLogger,
      );
      await service.models.warmup();
      const server = Bun.serve({
        port: 0,
        hostname: "127.0.0.1",
        fetch: service.app.fetch,
        maxRequestBodySize: 256 * 1024 * 1024,
      });
      const url = `${server.url.origin}/v1/detect`;
      const rates: number[] = [];
      const totals: number[] = [];
      for (let r = 0; r < repeats; r++) {
        const seconds = await pool(images, concurrencyFor(batch), async (bytes) => {
          const started = performance.now();
          const response = await fetch(url, {
            method: "POST",
            body: bytes,
            headers: { authorization: `Bearer ${token}` },
          });
          if (!response.ok) throw new Error(`detect answered ${response.status}: ${await response.text()}`);
          await response.json();
          totals.push(performance.now() - started);
        });
        rates.push(images.length / seconds);
      }
      await server.stop();
      await service.drain();
      await service.close();
      rows.push({
        path: "(c) HTTP",
        mode: modeName(batch),
        imagesPerSecond: median(rates),
        stages: { total: median(totals) },
      });
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return rows;
}

function printTable(rows: Row[]): void {
  const fmt = (v: number | undefined) => (v === undefined ? "" : v.toFixed(1));
  const header = [
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
const images = await syntheticImages(imageCount, Number(args.width), Number(args.height));
const probe = await loadDetector(modelPath, { intraOpThreads: threads });
const { dynamicBatch, name, inputWidth, inputHeight } = probe.info;
await probe.dispose();
console.log(
  `model ${name} (${inputWidth}x${inputHeight}, ${dynamicBatch ? "dynamic" : "fixed"} batch), ${imageCount} images ` +
    `${args.width}x${args.height} JPEG, intra-op threads ${threads || "default"}, ${repeats} repeats, medians\n`,
);
const raw = await rawSession(modelPath, images);
const service = await inProcess(modelPath, images, dynamicBatch);
const http = await overHttp(modelPath, images, dynamicBatch);
printTable([...raw, ...service, ...http]);
console.log("");
for (const row of service) {
  const base = raw.find((r) => r.mode === row.mode);
  if (base) console.log(`${row.mode}: (b)/(a) = ${(row.imagesPerSecond / base.imagesPerSecond).toFixed(3)}`);
}
