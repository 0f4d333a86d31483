import { describe, expect, test } from "bun:test";
import { gcra } from "../src/rate-limiter/gcra";

const limit = { limit: 3, periodMs: 3000 };

describe("gcra", () => {
  test("allows a full burst of `limit` at once, then refuses", () => {
    let tat: number | undefined;
    const remaining: number[] = [];
    for (let i = 0; i < 3; i++) {
      const decision = gcra(tat, 1000, limit);
      expect(decision.allowed).toBe(true);
      remaining.push(decision.remaining);
      tat = decision.tat;
    }
    expect(remaining).toEqual([2, 1, 0]);
    const refused = gcra(tat, 1000, limit);
    expect(refused).toMatchObject({ allowed: false, remaining: 0, retryAfterMs: 1000, resetMs: 3000 });
    expect(refused.tat).toBe(tat as number);
  });

  test("refills one request per emission interval", () => {
    let tat: number | undefined;
    for (let i = 0; i < 3; i++) tat = gcra(tat, 0, limit).tat;
    expect(gcra(tat, 999, limit).allowed).toBe(false);
    const next = gcra(tat, 1000, limit);
    expect(next).toMatchObject({ allowed: true, remaining: 0 });
  });

  test("is full again after one whole period of silence", () => {
    let tat: number | undefined;
    for (let i = 0; i < 3; i++) tat = gcra(tat, 0, limit).tat;
    expect(gcra(tat, 3000, limit)).toMatchObject({ allowed: true, remaining: 2 });
  });

  test("a refused request does not consume quota", () => {
    let tat: number | undefined;
    for (let i = 0; i < 3; i++) tat = gcra(tat, 0, limit).tat;
    for (let i = 0; i < 10; i++) tat = gcra(tat, 10, limit).tat;
    expect(gcra(tat, 1000, limit).allowed).toBe(true);
  });
});

describe("gcra: several requests at once (a lease)", () => {
  const wide = { limit: 10, periodMs: 10_000 };

  test("grants what was wanted while the bucket holds it, and counts it all", () => {
    const first = gcra(undefined, 0, wide, 4);
    expect(first).toMatchObject({ allowed: true, granted: 4, remaining: 6 });
    const second = gcra(first.tat, 0, wide, 4);
    expect(second).toMatchObject({ allowed: true, granted: 4, remaining: 2 });
  });

  test("grants only what is left, then refuses as a single request would", () => {
    let tat = gcra(undefined, 0, wide, 8).tat;
    const partial = gcra(tat, 0, wide, 8);
    expect(partial).toMatchObject({ allowed: true, granted: 2, remaining: 0 });
    tat = partial.tat;
    const refused = gcra(tat, 0, wide, 8);
    expect(refused).toMatchObject({ allowed: false, granted: 0, retryAfterMs: 1000 });
    expect(refused.tat).toBe(tat);
  });

  test("a batch is the same as that many single requests", () => {
    let single: number | undefined;
    let batched: number | undefined;
    for (const now of [0, 0, 1500, 1500, 4200, 9000, 9001, 20_000]) {
      let taken = 0;
      for (let i = 0; i < 3; i++) {
        const decision = gcra(single, now, wide);
        single = decision.tat;
        taken += decision.granted;
      }
      const batch = gcra(batched, now, wide, 3);
      batched = batch.tat;
      expect(batch.granted).toBe(taken);
      expect(batched).toBe(single as number);
    }
  });
});
