import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { availableParallelism } from "node:os";
import { basename } from "node:path";
import type { DetectParams } from "@common/contracts/detect-message";
import type { Detection, StageTimings } from "@common/contracts/detect-result";
import pLimit from "p-limit";
import { type BatchResult, MicroBatcher } from "../batching/micro-batcher";
import { defaultDecodeConcurrency } from "../cpu-budget";
import { InferenceError } from "../errors";
import { decodeResized, decodeToSize, isGrey, probeImage, resizeRaster } from "../image/decode";
import { DEFAULT_INTENSITY, type IntensityOptions } from "../image/intensity-options";
import { boxToImage, computeLetterbox, fillTensor, type Letterbox } from "../image/letterbox";
import type { Raster } from "../image/raster";
import {
  DEFAULT_TILING_SETTINGS,
  fillTileTensor,
  planTiling,
  type TilePlan,
  type TilingSettings,
} from "../image/tiling";
import { nms, topK } from "../postprocess/nms";
import { DEFAULT_TILE_MERGE, mergeTiles, type TiledCandidate } from "../postprocess/tile-merge";
import type { Candidate } from "./decoders/types";
import { DECODERS, detectInputLayout, detectOutputLayout, type LayoutName } from "./layout";
import { type ModelMetadata, readModelMetadata, type Sidecar, SidecarSchema } from "./metadata";
import { readOnnxHeader } from "./onnx-proto";
import { createSession, type OutputTensor, type SessionOptions } from "./runtime";

export type { Detection, DetectParams, StageTimings };

export interface DetectorInfo {
  /** File name without `.onnx`; the name jobs and requests use. */
  name: string;
  version: string;
  sha256: string;
  path: string;
  classNames: string[];
  inputWidth: number;
  inputHeight: number;
  layout: LayoutName;
  dynamicBatch: boolean;
  /** Largest batch one run takes (the fixed batch size when the axis is not dynamic). */
  maxBatch: number;
  task: string | null;
  stride: number | null;
}

export interface ImageDetections {
  /** Original image size (after EXIF orientation); boxes are in these pixels. */
  width: number;
  height: number;
  detections: Detection[];
  /** `fetchMs` is 0 here: fetching belongs to the job sources. */
  timings: StageTimings;
  /** How many inputs shared the model run (the largest batch, when the image was tiled). */
  batchSize: number;
}

export interface DetectOptions {
  /** Suppress overlapping boxes across classes too. */
  agnostic?: boolean;
}

export interface Detector {
  readonly info: DetectorInfo;
  /** Detects on each encoded image; concurrent calls share model runs through micro-batching. */
  detect(images: Uint8Array[], params: DetectParams, options?: DetectOptions): Promise<ImageDetections[]>;
  /**
   * One run on blank inputs (one by default), so the first real request does not pay for lazy
   * initialisation; answers the run's milliseconds (benchmarks time a full batch with it).
   */
  warmup(batchSize?: number): Promise<number>;
  /** Images queued or running / capacity, for backpressure decisions. */
  readonly load: number;
  readonly capacity: number;
  /** Waits for queued work, then releases the session. */
  dispose(): Promise<void>;
}

export interface DetectorOptions extends SessionOptions {
  /** Largest micro-batch for models with a dynamic batch axis (default 8). */
  maxBatch?: number;
  /** How long a partial batch waits for more images (default 5 ms). */
  maxWaitMs?: number;
  /** Images queued or running before `detect` refuses with `queue_full` (default 64). */
  queueCapacity?: number;
  /** Largest image accepted, in pixels (default 100 megapixels). */
  maxPixels?: number;
  /** Images decoded at once (default: the cores onnxruntime leaves free, at least one). */
  decodeConcurrency?: number;
  /** What `tiling: "auto"` means and the bound on tiles (default `DEFAULT_TILING_SETTINGS`). */
  tiling?: Partial<TilingSettings>;
  /** Tiles of one image queued for the model at once (default: two batches). */
  tilesInFlight?: number;
  /** How 16-bit images without a window are mapped to 8 bits (default `DEFAULT_INTENSITY`). */
  intensity?: Partial<IntensityOptions>;
  onBatch?: (model: string, size: number, runMs: number) => void;
}

const DEFAULTS = { maxBatch: 8, maxWaitMs: 5, queueCapacity: 64, maxPixels: 100_000_000 };

async function readSidecar(modelPath: string): Promise<Sidecar | null> {
  const sidecarPath = modelPath.replace(/\.onnx$/i, ".json");
  let text: string;
  try {
    text = await readFile(sidecarPath, "utf8");
  } catch {
    return null;
  }
  const parsed = SidecarSchema.safeParse(JSON.parse(text));
  if (!parsed.success) {
    throw new InferenceError("model_load_failed", `${sidecarPath}: ${parsed.error.issues[0]?.message}`);
  }
  return parsed.data;
}

function classNamesFor(meta: ModelMetadata, numClasses: number | null): string[] {
  if (meta.names !== null) return meta.names;
  return Array.from({ length: numClasses ?? 0 }, (_, i) => `class_${i}`);
}

/** Reads the model file once: its hash, metadata and session come from the same bytes. */
async function openModel(path: string, options: DetectorOptions) {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (error) {
    throw new InferenceError("model_load_failed", `cannot read ${path}`, { cause: error });
  }
  const sha256 = createHash("sha256").update(bytes).digest("hex");
  const header = readOnnxHeader(bytes);
  const meta = readModelMetadata(header.metadata, await readSidecar(path), header.modelVersion);
  if (meta.task !== null && meta.task !== "detect") {
    throw new InferenceError("model_layout_unknown", `${path}: task "${meta.task}" is not detection`);
  }
  const session = await createSession(bytes, options);
  return { sha256, meta, session };
}

/** Loads one ONNX detection model, creating its session once; refuses unknown layouts. */
export async function loadDetector(path: string, options: DetectorOptions = {}): Promise<Detector> {
  const { sha256, meta, session } = await openModel(path, options);
  let input: ReturnType<typeof detectInputLayout>;
  let output: ReturnType<typeof detectOutputLayout>;
  try {
    input = detectInputLayout(session.inputs, meta.imgsz);
    output = detectOutputLayout(session.outputs, {
      numNames: meta.names?.length ?? null,
      end2end: meta.end2end,
      // The row count must fit this input size, which tells look-alike heads (YOLOX) apart.
      input,
    });
  } catch (error) {
    await session.dispose();
    if (error instanceof InferenceError) throw new InferenceError(error.code, `${path}: ${error.message}`);
    throw error;
  }

  const name = basename(path).replace(/\.onnx$/i, "");
  const classNames = classNamesFor(meta, output.numClasses);
  const maxBatch = input.fixedBatch ?? options.maxBatch ?? DEFAULTS.maxBatch;
  const maxPixels = options.maxPixels ?? DEFAULTS.maxPixels;
  const { width, height } = input;
  const imageSize = 3 * width * height;
  const decode = DECODERS[output.layout];
  // Without a thread count onnxruntime takes one thread per core.
  const threads = options.intraOpThreads || availableParallelism();
  const decodeSlot = pLimit(options.decodeConcurrency ?? defaultDecodeConcurrency(threads));

  const runBatch = (items: Float32Array[]): Promise<OutputTensor> => {
    // A fixed batch axis takes exactly that many images; unused slots stay zero.
    const size = input.fixedBatch ?? items.length;
    let tensor: Float32Array;
    if (items.length === 1 && size === 1) {
      tensor = items[0] as Float32Array;
    } else {
      tensor = new Float32Array(size * imageSize);
      items.forEach((item, i) => {
        tensor.set(item, i * imageSize);
      });
    }
    return session.run(tensor, [size, 3, height, width], output.outputName);
  };

  const batcher = new MicroBatcher<OutputTensor>({
    maxBatch,
    maxWaitMs: options.maxWaitMs ?? DEFAULTS.maxWaitMs,
    capacity: options.queueCapacity ?? DEFAULTS.queueCapacity,
    run: async (items) => {
      try {
        return await runBatch(items);
      } catch (error) {
        throw new InferenceError("inference_failed", `${name}: ${(error as Error).message}`, {
          cause: error,
        });
      }
    },
    onBatch: (size, runMs) => options.onBatch?.(name, size, runMs),
  });

  const info: DetectorInfo = {
    name,
    version: meta.version ?? sha256.slice(0, 12),
    sha256,
    path,
    classNames,
    inputWidth: width,
    inputHeight: height,
    layout: output.layout,
    dynamicBatch: input.fixedBatch === null,
    maxBatch,
    task: meta.task,
    stride: meta.stride,
  };

  const tilingSettings: TilingSettings = { ...DEFAULT_TILING_SETTINGS, ...options.tiling };
  const tilesInFlight = Math.max(1, options.tilesInFlight || 2 * maxBatch);
  const intensity: IntensityOptions = { ...DEFAULT_INTENSITY, ...options.intensity };

  /** Candidates of one batch item, de-duplicated as the layout wants (NMS, or top-k for end-to-end heads). */
  function keptCandidates(result: BatchResult<OutputTensor>, params: DetectParams, agnostic: boolean) {
    const classes = params.classes === null ? null : new Set<number>(params.classes);
    const candidates = decode(result.output.data, result.output.dims, result.index, {
      conf: params.conf,
      classes,
    });
    return output.layout === "end2end"
      ? topK(candidates, params.maxDet)
      : nms(candidates, { iou: params.iou, maxDet: params.maxDet, agnostic, maxCandidates: 30_000 });
  }

  function toDetection(candidate: Candidate, box: Detection["box"]): Detection {
    return {
      classId: candidate.classId,
      label: classNames[candidate.classId] ?? `class_${candidate.classId}`,
      score: Math.min(1, Math.max(0, candidate.score)),
      box,
    };
  }

  /** Runs the tiles (and the whole-image pass) through the batcher, a window at a time, then merges. */
  async function detectTiles(
    raster: Raster,
    plan: TilePlan,
    whole: { lb: Letterbox; pixels: { data: Uint8Array; channels: 1 | 3 } } | null,
    params: DetectParams,
    agnostic: boolean,
  ) {
    let tilingMs = 0;
    let batchSize = 0;
    const runs = new Map<OutputTensor, number>();
    const found: TiledCandidate[] = [];
    // A box within this many input pixels of a tile border inside the image was cut by it.
    const margin = 2;
    const window = pLimit(tilesInFlight);
    const noCut = { left: false, top: false, right: false, bottom: false };
    const runOne = async (tensor: Float32Array) => {
      const result = await batcher.submit(tensor, { admitted: true });
      runs.set(result.output, result.runMs);
      batchSize = Math.max(batchSize, result.batchSize);
      return result;
    };
    const tileJobs = plan.tiles.map((tile, index) =>
      window(async () => {
        const cutStarted = performance.now();
        const tensor = new Float32Array(imageSize);
        fillTileTensor(raster, tile.x, tile.y, width, height, tensor);
        tilingMs += performance.now() - cutStarted;
        const result = await runOne(tensor);
        const mapStarted = performance.now();
        const inside = {
          left: tile.x > 0,
          top: tile.y > 0,
          right: tile.x + width < plan.scaledWidth,
          bottom: tile.y + height < plan.scaledHeight,
        };
        for (const c of keptCandidates(result, params, agnostic)) {
          const x1 = Math.max(0, Math.min(c.x1, plan.scaledWidth - tile.x));
          const y1 = Math.max(0, Math.min(c.y1, plan.scaledHeight - tile.y));
          const x2 = Math.max(0, Math.min(c.x2, plan.scaledWidth - tile.x));
          const y2 = Math.max(0, Math.min(c.y2, plan.scaledHeight - tile.y));
          if (x2 <= x1 || y2 <= y1) continue;
          found.push({
            ...c,
            x1: (x1 + tile.x) / plan.scaleX,
            y1: (y1 + tile.y) / plan.scaleY,
            x2: (x2 + tile.x) / plan.scaleX,
            y2: (y2 + tile.y) / plan.scaleY,
            tile: index,
            cut: {
              left: inside.left && x1 <= margin,
              top: inside.top && y1 <= margin,
              right: inside.right && x2 >= width - margin,
              bottom: inside.bottom && y2 >= height - margin,
            },
          });
        }
        tilingMs += performance.now() - mapStarted;
      }),
    );
    if (whole !== null) {
      tileJobs.push(
        window(async () => {
          const tensor = new Float32Array(imageSize);
          fillTensor(whole.pixels, whole.lb, tensor);
          const result = await runOne(tensor);
          for (const c of keptCandidates(result, params, agnostic)) {
            const box = boxToImage(c, whole.lb);
            if (box.x2 > box.x1 && box.y2 > box.y1) found.push({ ...c, ...box, tile: -1, cut: noCut });
          }
        }),
      );
    }
    await Promise.all(tileJobs);
    const mergeStarted = performance.now();
    const merged = mergeTiles(found, { ...DEFAULT_TILE_MERGE, iou: params.iou, agnostic });
    const kept = nms(merged, { iou: params.iou, maxDet: params.maxDet, agnostic });
    const detections = kept.map((c) => toDetection(c, { x1: c.x1, y1: c.y1, x2: c.x2, y2: c.y2 }));
    tilingMs += performance.now() - mergeStarted;
    const runMs = [...runs.values()].reduce((sum, ms) => sum + ms, 0);
    return { detections, tilingMs, runMs, batchSize, tiles: plan.tiles.length + (whole ? 1 : 0) };
  }

  async function detectOne(bytes: Uint8Array, params: DetectParams, agnostic: boolean) {
    const started = performance.now();
    // Like runMs, decodeMs counts the work only, not the wait for a free decode slot.
    const prepared = await decodeSlot(async () => {
      const decodeStarted = performance.now();
      const image = await probeImage(bytes, maxPixels);
      const grey = isGrey(image);
      const plan = planTiling(image.width, image.height, width, height, params.tiling, tilingSettings);
      const lb = computeLetterbox(image.width, image.height, width, height);
      if (plan === null) {
        const pixels = await decodeResized(bytes, lb, maxPixels, grey, intensity);
        return { image, decodeStarted, untiled: { lb, pixels }, tiled: null };
      }
      // Admission is per image, and before the (large) decode: once an image is in, all its tiles
      // follow, at most `tilesInFlight` at a time.
      if (batcher.full) {
        throw new InferenceError("queue_full", `the model queue is full (${batcher.capacity} inputs)`);
      }
      const raster = await decodeToSize(
        bytes,
        plan.scaledWidth,
        plan.scaledHeight,
        maxPixels,
        grey,
        intensity,
      );
      const whole = plan.wholeImage ? { lb, pixels: await resizeRaster(raster, lb) } : null;
      return { image, decodeStarted, untiled: null, tiled: { plan, raster, whole } };
    });
    const decoded = performance.now();
    const { image } = prepared;
    const decodeMs = decoded - prepared.decodeStarted;

    if (prepared.tiled !== null) {
      const { plan, raster, whole } = prepared.tiled;
      const result = await detectTiles(raster, plan, whole, params, agnostic);
      const finished = performance.now();
      const timings: StageTimings = {
        fetchMs: 0,
        decodeMs,
        preprocessMs: 0,
        runMs: result.runMs,
        postprocessMs: 0,
        tilingMs: result.tilingMs,
        tiles: result.tiles,
        totalMs: finished - started,
      };
      return {
        width: image.width,
        height: image.height,
        detections: result.detections,
        timings,
        batchSize: result.batchSize,
      };
    }

    const { lb, pixels } = prepared.untiled;
    const tensor = new Float32Array(imageSize);
    fillTensor(pixels, lb, tensor);
    const preprocessed = performance.now();
    const result: BatchResult<OutputTensor> = await batcher.submit(tensor);
    const ran = performance.now();
    const detections: Detection[] = [];
    for (const candidate of keptCandidates(result, params, agnostic)) {
      const box = boxToImage(candidate, lb);
      // Boxes entirely in the padding collapse to nothing once clipped.
      if (box.x2 <= box.x1 || box.y2 <= box.y1) continue;
      detections.push(toDetection(candidate, box));
    }
    const finished = performance.now();
    const timings: StageTimings = {
      fetchMs: 0,
      decodeMs,
      preprocessMs: preprocessed - decoded,
      runMs: result.runMs,
      postprocessMs: finished - ran,
      tilingMs: 0,
      tiles: 1,
      totalMs: finished - started,
    };
    return { width: image.width, height: image.height, detections, timings, batchSize: result.batchSize };
  }

  return {
    info,
    get load() {
      return batcher.load;
    },
    get capacity() {
      return batcher.capacity;
    },
    detect(images, params, detectOptions = {}) {
      return Promise.all(images.map((image) => detectOne(image, params, detectOptions.agnostic ?? false)));
    },
    async warmup(batchSize = 1) {
      const size = Math.max(1, Math.min(batchSize, maxBatch));
      // Mid-grey with a little texture: constant inputs can take faster paths in some kernels, which
      // would flatter a benchmark's baseline.
      const textured = Float32Array.from({ length: imageSize }, (_, i) => 0.45 + 0.1 * Math.sin(i));
      const items = Array.from({ length: size }, () => textured.slice());
      const started = performance.now();
      await runBatch(items);
      return performance.now() - started;
    },
    async dispose() {
      await batcher.idle();
      await session.dispose();
    },
  };
}
