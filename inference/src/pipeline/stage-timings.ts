import type { StageTimings } from "@common/contracts/detect-result";

/** The stages an image's own work is timed into; model runs are timed by the batcher. */
export type TimedStage = "decodeMs" | "preprocessMs" | "postprocessMs" | "tilingMs";

/**
 * The one place an image's stage timings are built: work is added to its stage as it happens,
 * and `finish` fills in the rest. The clock starts when the image arrives, so `totalMs` includes
 * waiting for a decode slot and for the model, which the stages leave out.
 */
export class StageClock {
  private readonly started: number;
  private readonly spent: Record<TimedStage, number> = {
    decodeMs: 0,
    preprocessMs: 0,
    postprocessMs: 0,
    tilingMs: 0,
  };

  constructor(private readonly now: () => number = () => performance.now()) {
    this.started = now();
  }

  add(stage: TimedStage, ms: number): void {
    this.spent[stage] += Math.max(0, ms);
  }

  /** Runs synchronous work and adds its duration to `stage`. */
  time<T>(stage: TimedStage, work: () => T): T {
    const started = this.now();
    try {
      return work();
    } finally {
      this.add(stage, this.now() - started);
    }
  }

  /** `fetchMs` is 0: fetching belongs to the job sources. */
  finish(runs: { runMs: number; tiles: number }): StageTimings {
    return {
      fetchMs: 0,
      decodeMs: this.spent.decodeMs,
      preprocessMs: this.spent.preprocessMs,
      runMs: runs.runMs,
      postprocessMs: this.spent.postprocessMs,
      tilingMs: this.spent.tilingMs,
      tiles: runs.tiles,
      totalMs: this.now() - this.started,
    };
  }
}
