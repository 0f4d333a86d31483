import { type BatchResult, MicroBatcher } from "../batching/micro-batcher";
import { InferenceError } from "../errors";
import type { OutputTensor } from "../model/runtime";

/** One input's share of a model run: the batch output and its position in it. */
export type ModelRun = BatchResult<OutputTensor>;

export interface ModelRunnerOptions {
  /** The model's name, for errors and `onBatch`. */
  name: string;
  inputWidth: number;
  inputHeight: number;
  /** The model's fixed batch size, or null when its batch axis is dynamic. */
  fixedBatch: number | null;
  maxBatch: number;
  maxWaitMs: number;
  capacity: number;
  /** One model run on a packed NCHW float tensor. */
  run: (tensor: Float32Array, dims: readonly number[]) => Promise<OutputTensor>;
  onBatch?: (model: string, size: number, runMs: number) => void;
}

export interface ModelRunner {
  /** Queues one input tensor for a shared run; `admitted` inputs (tiles of an image let in) are never refused. */
  submit(tensor: Float32Array, options?: { admitted?: boolean }): Promise<ModelRun>;
  /** Refuses a tiled image with `queue_full` before its (large) decode when the queue is full. */
  admitImage(): void;
  /** One run on `batchSize` textured inputs outside the queue; answers its milliseconds. */
  warmup(batchSize?: number): Promise<number>;
  readonly load: number;
  readonly capacity: number;
  idle(): Promise<void>;
}

/**
 * Packs inputs of `inputSize` floats into one batch tensor. A fixed batch axis takes exactly that
 * many inputs, so unused slots stay zero; a lone input of a batch of one is passed as it is.
 */
export function packBatch(
  items: readonly Float32Array[],
  fixedBatch: number | null,
  inputSize: number,
): { tensor: Float32Array; size: number } {
  const size = fixedBatch ?? items.length;
  if (items.length > size) throw new RangeError(`${items.length} inputs for a batch of ${size}`);
  if (items.length === 1 && size === 1) return { tensor: items[0] as Float32Array, size };
  const tensor = new Float32Array(size * inputSize);
  items.forEach((item, i) => {
    tensor.set(item, i * inputSize);
  });
  return { tensor, size };
}

/** Micro-batches a model's runs: concurrent inputs share one run, one run at a time. */
export function createModelRunner(options: ModelRunnerOptions): ModelRunner {
  const { name, inputWidth, inputHeight, fixedBatch, maxBatch } = options;
  const inputSize = 3 * inputWidth * inputHeight;
  const runBatch = (items: readonly Float32Array[]) => {
    const { tensor, size } = packBatch(items, fixedBatch, inputSize);
    return options.run(tensor, [size, 3, inputHeight, inputWidth]);
  };
  const batcher = new MicroBatcher<OutputTensor>({
    maxBatch,
    maxWaitMs: options.maxWaitMs,
    capacity: options.capacity,
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

  return {
    submit: (tensor, submitOptions) => batcher.submit(tensor, submitOptions),
    admitImage() {
      if (batcher.full) {
        throw new InferenceError("queue_full", `the model queue is full (${batcher.capacity} inputs)`);
      }
    },
    async warmup(batchSize = 1) {
      const size = Math.max(1, Math.min(batchSize, maxBatch));
      // Mid-grey with a little texture: constant inputs can take faster paths in some kernels, which
      // would flatter a benchmark's baseline.
      const textured = Float32Array.from({ length: inputSize }, (_, i) => 0.45 + 0.1 * Math.sin(i));
      const items = Array.from({ length: size }, () => textured.slice());
      const started = performance.now();
      await runBatch(items);
      return performance.now() - started;
    },
    get load() {
      return batcher.load;
    },
    get capacity() {
      return batcher.capacity;
    },
    idle: () => batcher.idle(),
  };
}
