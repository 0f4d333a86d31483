import { availableParallelism } from "node:os";
import { basename } from "node:path";
import type { DetectParams } from "@common/contracts/detect-message";
import type { Detection, StageTimings } from "@common/contracts/detect-result";
import { defaultDecodeConcurrency } from "../cpu-budget";
import { InferenceError } from "../errors";
import { DEFAULT_INTENSITY, type IntensityOptions } from "../image/intensity-options";
import { DEFAULT_TILING_SETTINGS, type TilingSettings } from "../image/tiling";
import { EXTENT_SETTINGS } from "../measure/extent";
import { createImageDetector, type ImageDetections } from "../pipeline/detect-image";
import { createPreparer } from "../pipeline/prepare";
import { createModelRunner } from "../pipeline/run";
import {
  detectInputLayout,
  detectOutputLayout,
  type InputLayout,
  type LayoutName,
  type OutputLayout,
} from "./layout";
import type { ModelMetadata } from "./metadata";
import { classNamesFor, openModel } from "./model-file";
import type { ModelSession, SessionOptions } from "./runtime";

export type { Detection, DetectParams, ImageDetections, StageTimings };

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
  /** Largest box whose indication is measured on the film, pixels (default `EXTENT_SETTINGS.maxBoxPixels`). */
  measureMaxBoxPixels?: number;
  /** How 16-bit images without a window are mapped to 8 bits (default `DEFAULT_INTENSITY`). */
  intensity?: Partial<IntensityOptions>;
  onBatch?: (model: string, size: number, runMs: number) => void;
}

const DEFAULTS = { maxBatch: 8, maxWaitMs: 5, queueCapacity: 64, maxPixels: 100_000_000 };

/** The model's input and output layouts; a model that fits none is closed and refused. */
async function readLayouts(path: string, session: ModelSession, meta: ModelMetadata) {
  try {
    const input = detectInputLayout(session.inputs, meta.imgsz);
    const output = detectOutputLayout(session.outputs, {
      numNames: meta.names?.length ?? null,
      end2end: meta.end2end,
      // The row count must fit this input size, which tells look-alike heads (YOLOX) apart.
      input,
    });
    return { input, output };
  } catch (error) {
    await session.dispose();
    if (error instanceof InferenceError) throw new InferenceError(error.code, `${path}: ${error.message}`);
    throw error;
  }
}

/**
 * Loads one ONNX detection model, creating its session once; refuses unknown layouts. Each image
 * goes through the pipeline's rooms (`../pipeline/`): prepare → run → candidates → merge.
 */
export async function loadDetector(path: string, options: DetectorOptions = {}): Promise<Detector> {
  const { sha256, meta, session } = await openModel(path, options);
  const { input, output } = await readLayouts(path, session, meta);
  const name = basename(path).replace(/\.onnx$/i, "");
  const classNames = classNamesFor(meta, output.numClasses);
  const maxBatch = input.fixedBatch ?? options.maxBatch ?? DEFAULTS.maxBatch;
  const runner = createModelRunner({
    name,
    inputWidth: input.width,
    inputHeight: input.height,
    fixedBatch: input.fixedBatch,
    maxBatch,
    maxWaitMs: options.maxWaitMs ?? DEFAULTS.maxWaitMs,
    capacity: options.queueCapacity ?? DEFAULTS.queueCapacity,
    run: (tensor, dims) => session.run(tensor, dims, output.outputName),
    onBatch: options.onBatch,
  });
  // Without a thread count onnxruntime takes one thread per core.
  const threads = options.intraOpThreads || availableParallelism();
  const prepare = createPreparer({
    inputWidth: input.width,
    inputHeight: input.height,
    maxPixels: options.maxPixels ?? DEFAULTS.maxPixels,
    tiling: { ...DEFAULT_TILING_SETTINGS, ...options.tiling },
    intensity: { ...DEFAULT_INTENSITY, ...options.intensity },
    decodeConcurrency: options.decodeConcurrency ?? defaultDecodeConcurrency(threads),
  });
  const detectImage = createImageDetector({
    prepare,
    runner,
    layout: output.layout,
    classNames,
    inputsInFlight: Math.max(1, options.tilesInFlight || 2 * maxBatch),
    measureMaxBoxPixels: options.measureMaxBoxPixels ?? EXTENT_SETTINGS.maxBoxPixels,
  });

  return {
    info: describeModel({ name, path, sha256, meta, classNames, input, output, maxBatch }),
    get load() {
      return runner.load;
    },
    get capacity() {
      return runner.capacity;
    },
    detect(images, params, detectOptions = {}) {
      return Promise.all(images.map((image) => detectImage(image, params, detectOptions.agnostic ?? false)));
    },
    warmup: (batchSize) => runner.warmup(batchSize),
    async dispose() {
      await runner.idle();
      await session.dispose();
    },
  };
}

function describeModel(model: {
  name: string;
  path: string;
  sha256: string;
  meta: ModelMetadata;
  classNames: string[];
  input: InputLayout;
  output: OutputLayout;
  maxBatch: number;
}): DetectorInfo {
  const { meta, input } = model;
  return {
    name: model.name,
    version: meta.version ?? model.sha256.slice(0, 12),
    sha256: model.sha256,
    path: model.path,
    classNames: model.classNames,
    inputWidth: input.width,
    inputHeight: input.height,
    layout: model.output.layout,
    dynamicBatch: input.fixedBatch === null,
    maxBatch: model.maxBatch,
    task: meta.task,
    stride: meta.stride,
  };
}
