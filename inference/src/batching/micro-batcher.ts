import { InferenceError } from "../errors";

export interface BatchResult<Output> {
  output: Output;
  /** Position of this item in the batch output. */
  index: number;
  batchSize: number;
  runMs: number;
}

export interface MicroBatcherOptions<Output> {
  /** Items per run; a model with a fixed batch axis uses exactly that size (padded). */
  maxBatch: number;
  /** How long the first queued item waits for company before a partial batch runs. */
  maxWaitMs: number;
  /** Items queued or running at once; beyond it `submit` refuses with `queue_full`. */
  capacity: number;
  /** Runs one batch; called with at most `maxBatch` items, never concurrently. */
  run: (items: Float32Array[]) => Promise<Output>;
  onBatch?: (size: number, runMs: number) => void;
}

interface Pending<Output> {
  input: Float32Array;
  enqueuedAt: number;
  resolve: (result: BatchResult<Output>) => void;
  reject: (error: unknown) => void;
}

/**
 * Groups concurrent single-image requests into batches: one batch runs at a time (onnxruntime
 * already spreads a run over the intra-op threads) while the next one fills up.
 */
export class MicroBatcher<Output> {
  private readonly queue: Pending<Output>[] = [];
  private running = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private idleWaiters: Array<() => void> = [];

  constructor(private readonly options: MicroBatcherOptions<Output>) {
    if (options.maxBatch < 1 || options.capacity < 1)
      throw new RangeError("maxBatch and capacity must be ≥ 1");
  }

  /** Items queued plus items in the running batch. */
  get load(): number {
    return this.queue.length + this.running;
  }

  get capacity(): number {
    return this.options.capacity;
  }

  /** Whether `submit` would refuse new work now. */
  get full(): boolean {
    return this.load >= this.options.capacity;
  }

  /**
   * Queues one input. `admitted` marks an input of an image already let in (a tile after the
   * first): it is not refused at capacity, since refusing half an image wastes the half that ran;
   * the caller bounds how many such inputs it has queued at once.
   */
  submit(input: Float32Array, options: { admitted?: boolean } = {}): Promise<BatchResult<Output>> {
    if (!options.admitted && this.load >= this.options.capacity) {
      return Promise.reject(
        new InferenceError("queue_full", `the model queue is full (${this.options.capacity} images)`),
      );
    }
    return new Promise((resolve, reject) => {
      this.queue.push({ input, enqueuedAt: performance.now(), resolve, reject });
      this.schedule();
    });
  }

  /** Resolves once nothing is queued or running. */
  idle(): Promise<void> {
    if (this.load === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private schedule(): void {
    if (this.running > 0 || this.queue.length === 0) return;
    const { maxBatch, maxWaitMs } = this.options;
    const waited = performance.now() - (this.queue[0] as Pending<Output>).enqueuedAt;
    if (maxBatch === 1 || this.queue.length >= maxBatch || waited >= maxWaitMs) {
      clearTimeout(this.timer);
      this.timer = undefined;
      void this.dispatch();
      return;
    }
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      this.schedule();
    }, maxWaitMs - waited);
  }

  private async dispatch(): Promise<void> {
    const batch = this.queue.splice(0, this.options.maxBatch);
    this.running = batch.length;
    const started = performance.now();
    try {
      const output = await this.options.run(batch.map((item) => item.input));
      const runMs = performance.now() - started;
      this.options.onBatch?.(batch.length, runMs);
      batch.forEach((item, index) => {
        item.resolve({ output, index, batchSize: batch.length, runMs });
      });
    } catch (error) {
      for (const item of batch) item.reject(error);
    } finally {
      this.running = 0;
      if (this.load === 0) for (const wake of this.idleWaiters.splice(0)) wake();
      this.schedule();
    }
  }
}
