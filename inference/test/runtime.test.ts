import { afterAll, describe, expect, test } from "bun:test";
import { readFile } from "node:fs/promises";
import { errorMessage } from "@common/logger";
import { openInThread } from "../src/model/onnx-session";
import { createSession, type ModelSession } from "../src/model/runtime";
import { fixtureModel } from "./fixtures";

// The fixture v8-dynamic model: input images [B, 3, 64, 64], output0 [B, 6, N].
const DIMS = (batch: number) => [batch, 3, 64, 64];
const input = (batch: number, seed: number) =>
  Float32Array.from({ length: batch * 3 * 64 * 64 }, (_, i) => ((i * 7 + seed * 13) % 256) / 255);

const opened: ModelSession[] = [];
async function open(inThread = false) {
  const bytes = await readFile(fixtureModel("v8-dynamic"));
  const session = await (inThread ? openInThread : createSession)(bytes, { intraOpThreads: 1 });
  opened.push(session);
  return session;
}
afterAll(async () => {
  await Promise.all(opened.map((s) => s.dispose().catch(() => undefined)));
});

describe("model runtime on a worker thread", () => {
  test("describes the model and gives the same outputs as a session on the calling thread", async () => {
    const [worker, local] = await Promise.all([open(), open(true)]);
    expect(worker.inputs).toEqual(local.inputs);
    expect(worker.outputs).toEqual(local.outputs);
    const name = worker.outputs[0]?.name as string;
    // Runs issued together come back to their own callers.
    const [a, b] = await Promise.all([
      worker.run(input(1, 1), DIMS(1), name),
      worker.run(input(3, 2), DIMS(3), name),
    ]);
    const [expectedA, expectedB] = [
      await local.run(input(1, 1), DIMS(1), name),
      await local.run(input(3, 2), DIMS(3), name),
    ];
    expect(a.dims).toEqual(expectedA.dims);
    expect(b.dims).toEqual(expectedB.dims);
    expect(b.dims[0]).toBe(3);
    expect(Array.from(a.data)).toEqual(Array.from(expectedA.data));
    expect(Array.from(b.data)).toEqual(Array.from(expectedB.data));
  });

  test("the input is handed over, not copied, and the main thread keeps running meanwhile", async () => {
    const session = await open();
    // A run long enough (tens of ms) that timers would stall if it blocked this thread.
    const tensor = input(512, 3);
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    const run = session.run(tensor, DIMS(512), "output0");
    expect(tensor.length).toBe(0);
    const output = await run;
    clearInterval(timer);
    expect(output.dims[0]).toBe(512);
    expect(ticks).toBeGreaterThan(2);
  });

  test("errors from onnxruntime reach the caller, and the session stays usable", async () => {
    const session = await open();
    const error = await session.run(input(1, 0), [1, 3, 64, 64], "no_such_output").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect(errorMessage(error)).toContain("no_such_output");
    const ok = await session.run(input(1, 0), DIMS(1), "output0");
    expect(ok.dims[0]).toBe(1);
  });

  test("a model onnxruntime cannot load is refused with its message", async () => {
    const error = await createSession(new Uint8Array([8, 1, 18, 3, 1, 2, 3])).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect(errorMessage(error).length).toBeGreaterThan(0);
  });

  test("after dispose, runs are refused", async () => {
    const session = await open();
    await session.dispose();
    await expect(session.run(input(1, 0), DIMS(1), "output0")).rejects.toThrow("closed");
  });
});
