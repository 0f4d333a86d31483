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
import { decodeResized, isGrey, probeImage } from "../image/decode";
import { boxToImage, computeLetterbox, fillTensor } from "../image/letterbox";
import { nms, topK } from "../postprocess/nms";
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
  /** How many images shared the model run. */
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
  /** One run on a blank input, so the first real request does not pay for lazy initialisation. */
  warmup(): Promise<void>;
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

  async function detectOne(bytes: Uint8Array, params: DetectParams, agnostic: boolean) {
    const started = performance.now();
    // Like runMs, decodeMs counts the work only, not the wait for a free decode slot.
    const { image, lb, pixels, decodeStarted } = await decodeSlot(async () => {
      const decodeStarted = performance.now();
      const image = await probeImage(bytes, maxPixels);
      const lb = computeLetterbox(image.width, image.height, width, height);
      return { image, lb, decodeStarted, pixels: await decodeResized(bytes, lb, maxPixels, isGrey(image)) };
    });
    const decoded = performance.now();
    const tensor = new Float32Array(imageSize);
    fillTensor(pixels, lb, tensor);
    const preprocessed = performance.now();
    const result: BatchResult<OutputTensor> = await batcher.submit(tensor);
    const ran = performance.now();
    const classes = params.classes === null ? null : new Set<number>(params.classes);
    const candidates = decode(result.output.data, result.output.dims, result.index, {
      conf: params.conf,
      classes,
    });
    const kept =
      output.layout === "end2end"
        ? topK(candidates, params.maxDet)
        : nms(candidates, { iou: params.iou, maxDet: params.maxDet, agnostic, maxCandidates: 30_000 });
    const detections: Detection[] = [];
    for (const candidate of kept) {
      const box = boxToImage(candidate, lb);
      // Boxes entirely in the padding collapse to nothing once clipped.
      if (box.x2 <= box.x1 || box.y2 <= box.y1) continue;
      detections.push({
        classId: candidate.classId,
        label: classNames[candidate.classId] ?? `class_${candidate.classId}`,
        score: Math.min(1, Math.max(0, candidate.score)),
        box,
      });
    }
    const finished = performance.now();
    const timings: StageTimings = {
      fetchMs: 0,
      decodeMs: decoded - decodeStarted,
      preprocessMs: preprocessed - decoded,
      runMs: result.runMs,
      postprocessMs: finished - ran,
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
    async warmup() {
      await runBatch([new Float32Array(imageSize)]);
    },
    async dispose() {
      await batcher.idle();
      await session.dispose();
    },
  };
}
