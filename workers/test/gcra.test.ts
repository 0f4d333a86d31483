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
