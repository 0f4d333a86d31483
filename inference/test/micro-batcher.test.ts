import { describe, expect, test } from "bun:test";
import { MicroBatcher } from "../src/batching/micro-batcher";
import { InferenceError } from "../src/errors";

const item = (value: number) => Float32Array.of(value);

/** A batcher whose runs record their inputs and wait until released. */
function gated(options: { maxBatch: number; maxWaitMs: number; capacity: number }) {
  const runs: number[][] = [];
  const gates: Array<() => void> = [];
  const batcher = new MicroBatcher<number[]>({
    ...options,
    run: async (items) => {
      const values = items.map((i) => i[0] as number);
      runs.push(values);
      await new Promise<void>((resolve) => gates.push(resolve));
      return values;
    },
  });
  const release = () => {
    for (const open of gates.splice(0)) open();
  };
  return { batcher, runs, release };
}

describe("MicroBatcher", () => {
  test("groups items that arrive while a batch runs, up to maxBatch", async () => {
    const { batcher, runs, release } = gated({ maxBatch: 3, maxWaitMs: 0, capacity: 10 });
    const first = batcher.submit(item(0));
    const rest = [1, 2, 3, 4].map((v) => batcher.submit(item(v)));
    expect(runs).toEqual([[0]]);
    release();
    await first;
    expect(runs).toEqual([[0], [1, 2, 3]]);
    release();
    await Bun.sleep(0);
    release();
    const results = await Promise.all(rest);
    expect(runs).toEqual([[0], [1, 2, 3], [4]]);
    expect(results.map((r) => [r.index, r.batchSize])).toEqual([
      [0, 3],
      [1, 3],
      [2, 3],
      [0, 1],
    ]);
    expect(results[3]?.output).toEqual([4]);
  });

  test("waits up to maxWaitMs for company before running a partial batch", async () => {
    const { batcher, runs, release } = gated({ maxBatch: 4, maxWaitMs: 30, capacity: 10 });
    const a = batcher.submit(item(1));
    const b = batcher.submit(item(2));
    expect(runs).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, 40));
    expect(runs).toEqual([[1, 2]]);
    release();
    await Promise.all([a, b]);
  });

  test("runs at once when the batch is full", () => {
    const { batcher, runs, release } = gated({ maxBatch: 2, maxWaitMs: 10_000, capacity: 10 });
    void batcher.submit(item(1));
    void batcher.submit(item(2));
    expect(runs).toEqual([[1, 2]]);
    release();
  });

  test("refuses work beyond capacity with queue_full, and accepts again once drained", async () => {
    const { batcher, release } = gated({ maxBatch: 1, maxWaitMs: 0, capacity: 2 });
    const accepted = [batcher.submit(item(1)), batcher.submit(item(2))];
    const refused = await batcher.submit(item(3)).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(InferenceError);
    expect((refused as InferenceError).code).toBe("queue_full");
    expect(batcher.load).toBe(2);
    release();
    await accepted[0];
    release();
    await accepted[1];
    await batcher.idle();
    expect(batcher.load).toBe(0);
    const again = batcher.submit(item(4));
    release();
    expect((await again).output).toEqual([4]);
  });

  test("inputs of an admitted image (later tiles) are queued beyond capacity; `full` says when new work is refused", async () => {
    const { batcher, release } = gated({ maxBatch: 1, maxWaitMs: 0, capacity: 1 });
    expect(batcher.full).toBe(false);
    const first = batcher.submit(item(1));
    expect(batcher.full).toBe(true);
    expect(((await batcher.submit(item(2)).catch((e: unknown) => e)) as InferenceError).code).toBe(
      "queue_full",
    );
    const tile = batcher.submit(item(3), { admitted: true });
    expect(batcher.load).toBe(2);
    release();
    await first;
    release();
    expect((await tile).output).toEqual([3]);
  });

  test("a failing run rejects every item of its batch and the next batch still runs", async () => {
    let calls = 0;
    const batcher = new MicroBatcher<string>({
      maxBatch: 2,
      maxWaitMs: 10_000,
      capacity: 10,
      run: async () => {
        calls++;
        if (calls === 1) throw new Error("boom");
        return "ok";
      },
    });
    const outcomes = await Promise.allSettled([batcher.submit(item(1)), batcher.submit(item(2))]);
    expect(outcomes.map((o) => o.status)).toEqual(["rejected", "rejected"]);
    const next = await Promise.all([batcher.submit(item(3)), batcher.submit(item(4))]);
    expect(next.map((r) => r.output)).toEqual(["ok", "ok"]);
  });
});
