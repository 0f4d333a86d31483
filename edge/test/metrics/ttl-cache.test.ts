import { describe, expect, test } from "bun:test";
import { createTtlCache } from "@edge/metrics/ttl-cache";

/** A load whose calls are counted and whose answers the test settles by hand. */
function controlledLoad() {
  const pending: Array<{ resolve: (value: number) => void; reject: (error: Error) => void }> = [];
  let calls = 0;
  const load = (_key: object) =>
    new Promise<number>((resolve, reject) => {
      calls++;
      pending.push({ resolve, reject });
    });
  return { load, pending, calls: () => calls };
}

describe("ttl cache", () => {
  test("callers during a load share it; within the TTL, counted from when it settled, the value is reused", async () => {
    let now = 1_000;
    const { load, pending, calls } = controlledLoad();
    const cached = createTtlCache(load, () => now);
    const key = {};
    const first = cached(key, 5_000);
    const second = cached(key, 5_000);
    expect(calls()).toBe(1);
    now += 60_000; // a slow load: the TTL has not started yet
    const during = cached(key, 5_000);
    expect(calls()).toBe(1);
    pending[0]?.resolve(7);
    expect(await first).toBe(7);
    expect(await second).toBe(7);
    expect(await during).toBe(7);
    now += 4_999;
    expect(await cached(key, 5_000)).toBe(7);
    expect(calls()).toBe(1);
    now += 1;
    const third = cached(key, 5_000);
    expect(calls()).toBe(2);
    pending[1]?.resolve(8);
    expect(await third).toBe(8);
  });

  test("a failed load is not kept: the next caller loads again", async () => {
    const { load, pending, calls } = controlledLoad();
    const cached = createTtlCache(load, () => 0);
    const key = {};
    const failing = cached(key, 60_000);
    pending[0]?.reject(new Error("database unavailable"));
    await expect(failing).rejects.toThrow("database unavailable");
    const retried = cached(key, 60_000);
    expect(calls()).toBe(2);
    pending[1]?.resolve(3);
    expect(await retried).toBe(3);
  });

  test("TTL 0 only shares loads in flight; each key has its own entry", async () => {
    const { load, pending, calls } = controlledLoad();
    const cached = createTtlCache(load, () => 0);
    const a = {};
    const b = {};
    const fromA = cached(a, 0);
    const fromB = cached(b, 0);
    expect(calls()).toBe(2);
    pending[0]?.resolve(1);
    pending[1]?.resolve(2);
    expect([await fromA, await fromB]).toEqual([1, 2]);
    const again = cached(a, 0);
    expect(calls()).toBe(3);
    pending[2]?.resolve(4);
    expect(await again).toBe(4);
  });
});
