import { describe, expect, test } from "bun:test";
import { StageClock } from "../../src/pipeline/stage-timings";

/** A clock that moves only when told, so durations are exact. */
function manualClock() {
  let now = 1000;
  return {
    now: () => now,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

describe("StageClock", () => {
  test("each stage gets the work timed into it; the total runs from arrival to finish", () => {
    const clock = manualClock();
    const stages = new StageClock(clock.now);
    clock.advance(3); // waiting for a decode slot: in the total only
    stages.add("decodeMs", 7);
    clock.advance(7);
    stages.time("preprocessMs", () => clock.advance(2));
    clock.advance(10); // the model run, timed by the batcher
    stages.time("postprocessMs", () => clock.advance(1));
    expect(stages.finish({ runMs: 10, tiles: 1 })).toEqual({
      fetchMs: 0,
      decodeMs: 7,
      preprocessMs: 2,
      runMs: 10,
      postprocessMs: 1,
      tilingMs: 0,
      tiles: 1,
      totalMs: 23,
    });
  });

  test("work on several inputs adds up in one stage, and work that throws still counts", () => {
    const clock = manualClock();
    const stages = new StageClock(clock.now);
    for (let i = 0; i < 3; i++) stages.time("tilingMs", () => clock.advance(4));
    expect(() =>
      stages.time("tilingMs", () => {
        clock.advance(5);
        throw new Error("bad tile");
      }),
    ).toThrow("bad tile");
    const timings = stages.finish({ runMs: 0, tiles: 4 });
    expect(timings.tilingMs).toBe(17);
    expect(timings.preprocessMs).toBe(0);
    expect(timings.totalMs).toBe(17);
  });

  test("with the real clock every stage is non-negative and the stages fit in the total", async () => {
    const stages = new StageClock();
    stages.time("preprocessMs", () => Array.from({ length: 10_000 }, (_, i) => i * i));
    await Bun.sleep(2);
    stages.add("decodeMs", -1);
    const timings = stages.finish({ runMs: 0, tiles: 1 });
    for (const value of Object.values(timings)) expect(value).toBeGreaterThanOrEqual(0);
    expect(timings.preprocessMs + timings.decodeMs).toBeLessThanOrEqual(timings.totalMs);
    expect(timings.totalMs).toBeGreaterThanOrEqual(1);
  });
});
