import { describe, expect, test } from "bun:test";
import { InferenceError } from "../../src/errors";
import type { OutputTensor } from "../../src/model/runtime";
import { createModelRunner, type ModelRunnerOptions, packBatch } from "../../src/pipeline/run";

/** 2x2 inputs: 12 floats each. */
const SIZE = 3 * 2 * 2;
const input = (marker: number) => new Float32Array(SIZE).fill(marker);

/** A model that answers, per batch item, the first value of its input: output [B, 1, 1]. */
function echoModel() {
  const runs: { dims: readonly number[]; markers: number[] }[] = [];
  const run = async (tensor: Float32Array, dims: readonly number[]): Promise<OutputTensor> => {
    const size = dims[0] as number;
    const markers = Array.from({ length: size }, (_, i) => tensor[i * SIZE] as number);
    runs.push({ dims, markers });
    return { data: Float32Array.from(markers), dims: [size, 1, 1] };
  };
  return { runs, run };
}

const options = (overrides: Partial<ModelRunnerOptions>): ModelRunnerOptions => ({
  name: "echo",
  inputWidth: 2,
  inputHeight: 2,
  fixedBatch: null,
  maxBatch: 3,
  maxWaitMs: 20,
  capacity: 64,
  run: echoModel().run,
  ...overrides,
});

describe("packBatch", () => {
  test("lays inputs one after another; a fixed batch axis is padded with zeros", () => {
    const { tensor, size } = packBatch([input(1), input(2)], 4, SIZE);
    expect(size).toBe(4);
    expect(tensor.length).toBe(4 * SIZE);
    expect([tensor[0], tensor[SIZE], tensor[2 * SIZE], tensor[4 * SIZE - 1]]).toEqual([1, 2, 0, 0]);
  });

  test("a lone input of a batch of one is passed as it is, not copied", () => {
    const only = input(5);
    expect(packBatch([only], null, SIZE).tensor).toBe(only);
    expect(packBatch([only], 1, SIZE).tensor).toBe(only);
    expect(() => packBatch([only, only], 1, SIZE)).toThrow(RangeError);
  });
});

describe("createModelRunner", () => {
  test("N concurrent inputs take ceil(N / maxBatch) runs and each caller gets its own slice", async () => {
    const model = echoModel();
    const batches: [string, number][] = [];
    const runner = createModelRunner(
      options({ run: model.run, onBatch: (name, size) => batches.push([name, size]) }),
    );
    const markers = [10, 11, 12, 13, 14, 15, 16];
    const results = await Promise.all(markers.map((m) => runner.submit(input(m))));
    expect(model.runs).toHaveLength(Math.ceil(markers.length / 3));
    expect(model.runs.map((r) => r.dims)).toEqual([
      [3, 3, 2, 2],
      [3, 3, 2, 2],
      [1, 3, 2, 2],
    ]);
    expect(results.map((r) => r.output.data[r.index])).toEqual(markers);
    expect(results.map((r) => r.batchSize)).toEqual([3, 3, 3, 3, 3, 3, 1]);
    expect(batches).toEqual([
      ["echo", 3],
      ["echo", 3],
      ["echo", 1],
    ]);
    for (const result of results) expect(result.runMs).toBeGreaterThanOrEqual(0);
  });

  test("a model with a fixed batch axis always runs at that size", async () => {
    const model = echoModel();
    const runner = createModelRunner(options({ run: model.run, fixedBatch: 4, maxBatch: 4 }));
    const results = await Promise.all([runner.submit(input(1)), runner.submit(input(2))]);
    expect(model.runs.map((r) => r.markers)).toEqual([[1, 2, 0, 0]]);
    expect(results.map((r) => r.output.data[r.index])).toEqual([1, 2]);
  });

  test("a failed run rejects every caller of its batch with inference_failed, naming the model", async () => {
    const runner = createModelRunner(
      options({
        run: () => Promise.reject(new Error("kernel exploded")),
      }),
    );
    const errors = await Promise.all(
      [runner.submit(input(1)), runner.submit(input(2))].map((p) => p.catch((e) => e)),
    );
    for (const error of errors) {
      expect(error).toBeInstanceOf(InferenceError);
      expect((error as InferenceError).code).toBe("inference_failed");
      expect((error as InferenceError).message).toBe("echo: kernel exploded");
    }
  });

  test("a full queue refuses new images and new untiled inputs, but not tiles already admitted", async () => {
    const runner = createModelRunner(options({ capacity: 2, maxWaitMs: 1000 }));
    const queued = [runner.submit(input(1)), runner.submit(input(2))];
    expect(runner.load).toBe(2);
    expect(() => runner.admitImage()).toThrow("the model queue is full (2 inputs)");
    const refused = await runner.submit(input(3)).catch((e: unknown) => e);
    expect((refused as InferenceError).code).toBe("queue_full");
    const admitted = runner.submit(input(4), { admitted: true });
    expect(runner.load).toBe(3);
    const results = await Promise.all([...queued, admitted]);
    expect(results.map((r) => r.output.data[r.index])).toEqual([1, 2, 4]);
    await runner.idle();
    expect(runner.load).toBe(0);
    expect(() => runner.admitImage()).not.toThrow();
  });

  test("warmup runs one batch outside the queue, at most maxBatch inputs", async () => {
    const model = echoModel();
    const runner = createModelRunner(options({ run: model.run }));
    expect(await runner.warmup(10)).toBeGreaterThanOrEqual(0);
    await runner.warmup();
    expect(model.runs.map((r) => r.dims[0])).toEqual([3, 1]);
    expect(runner.load).toBe(0);
  });
});
