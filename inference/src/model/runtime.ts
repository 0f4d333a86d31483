import type { TensorInfo } from "@common/onnx/layout";

/**
 * The model runtime as the rest of the service sees it. onnxruntime-node's `run` is synchronous:
 * on the main thread it would stall HTTP, queue and decoding work for the whole model run. So
 * each session lives on its own worker thread (`session-worker.ts`, which alone loads
 * onnxruntime) and inputs and outputs move between the threads without copying.
 */

export type GraphOptimizationLevel = "disabled" | "basic" | "extended" | "all";

export interface SessionOptions {
  /** 0 lets onnxruntime choose (one thread per physical core). */
  intraOpThreads?: number;
  graphOptimizationLevel?: GraphOptimizationLevel;
  /**
   * Whether idle intra-op threads busy-wait for the next piece of work. Spinning shaves a little
   * latency off a lone model run but burns the cores that image decoding needs (default off).
   */
  intraOpSpinning?: boolean;
}

export type { TensorInfo } from "@common/onnx/layout";

export interface OutputTensor {
  data: Float32Array;
  dims: readonly number[];
}

export interface ModelSession {
  inputs: TensorInfo[];
  outputs: TensorInfo[];
  /**
   * Runs the model on one float32 input and returns the named output. The input's buffer is
   * handed to the runtime (it is detached afterwards); runs of one session never overlap.
   */
  run(input: Float32Array, dims: readonly number[], outputName: string): Promise<OutputTensor>;
  dispose(): Promise<void>;
}

/** Main thread → session worker. */
export type WorkerRequest =
  | { type: "open"; model: Uint8Array; options: SessionOptions }
  | { type: "run"; id: number; input: Float32Array; dims: readonly number[]; outputName: string }
  | { type: "dispose" };

/** Session worker → main thread. */
export type WorkerReply =
  | { type: "opened"; inputs: TensorInfo[]; outputs: TensorInfo[] }
  | { type: "ran"; id: number; output: OutputTensor }
  | { type: "disposed" }
  | { type: "failed"; id: number | null; message: string };

/**
 * The worker thread's module: beside this file when run from source, beside the bundle when built
 * by `inference/build.ts` (which makes it an entry point of its own).
 */
const SESSION_WORKER = new URL(
  import.meta.url.endsWith(".ts") ? "./session-worker.ts" : "./session-worker.js",
  import.meta.url,
).href;

/** Opens `model` on a new worker thread; rejects with onnxruntime's message if it cannot load. */
export async function createSession(model: Uint8Array, options: SessionOptions = {}): Promise<ModelSession> {
  const worker = new Worker(SESSION_WORKER);
  const pending = new Map<
    number,
    { resolve: (output: OutputTensor) => void; reject: (error: Error) => void }
  >();
  let nextId = 0;
  let broken: Error | null = null;
  let onOpened: ((reply: WorkerReply) => void) | null = null;
  let onDisposed: (() => void) | null = null;
  // A worker only keeps the process alive while it has work, like any other pending I/O.
  const keepAlive = () => (pending.size > 0 ? worker.ref() : worker.unref());

  const fail = (error: Error) => {
    broken ??= error;
    for (const { reject } of pending.values()) reject(error);
    pending.clear();
    keepAlive();
  };
  worker.addEventListener("message", (event: MessageEvent<WorkerReply>) => {
    const reply = event.data;
    if (reply.type === "ran" || (reply.type === "failed" && reply.id !== null)) {
      const call = pending.get(reply.id as number);
      pending.delete(reply.id as number);
      keepAlive();
      if (reply.type === "ran") call?.resolve(reply.output);
      else call?.reject(new Error(reply.message));
    } else if (reply.type === "disposed") {
      onDisposed?.();
    } else {
      onOpened?.(reply);
    }
  });
  worker.addEventListener("error", (event: ErrorEvent) => {
    const error = new Error(`model runtime thread failed: ${event.message}`);
    onOpened?.({ type: "failed", id: null, message: error.message });
    // A thread that dies while closing must not leave dispose() waiting for its answer.
    onDisposed?.();
    fail(error);
  });

  const opened = await new Promise<WorkerReply>((resolve) => {
    onOpened = resolve;
    // Only the session settings cross the thread boundary (callers may pass richer objects).
    const { intraOpThreads, graphOptimizationLevel, intraOpSpinning } = options;
    worker.postMessage({
      type: "open",
      model,
      options: { intraOpThreads, graphOptimizationLevel, intraOpSpinning },
    } satisfies WorkerRequest);
  });
  onOpened = null;
  if (opened.type !== "opened") {
    worker.terminate();
    throw new Error(opened.type === "failed" ? opened.message : `unexpected reply ${opened.type}`);
  }
  keepAlive();

  return {
    inputs: opened.inputs,
    outputs: opened.outputs,
    run(input, dims, outputName) {
      if (broken !== null) return Promise.reject(broken);
      const id = nextId++;
      return new Promise<OutputTensor>((resolve, reject) => {
        pending.set(id, { resolve, reject });
        keepAlive();
        worker.postMessage({ type: "run", id, input, dims, outputName } satisfies WorkerRequest, [
          input.buffer as ArrayBuffer,
        ]);
      });
    },
    async dispose() {
      if (broken === null) {
        await new Promise<void>((resolve) => {
          onDisposed = resolve;
          worker.ref();
          worker.postMessage({ type: "dispose" } satisfies WorkerRequest);
        });
      }
      fail(new Error("the model session is closed"));
      worker.terminate();
    },
  };
}
