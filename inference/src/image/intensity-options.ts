import {
  DEFAULT_PERCENTILES,
  type Levels,
  MODEL_LEVELS,
  type PercentileRange,
} from "@common/imaging/intensity";

/** How 16-bit values without a window become the model's 8-bit input (`common/imaging/intensity.ts`). */
export interface IntensityOptions {
  percentiles: PercentileRange;
  levels: Levels;
}

export const DEFAULT_INTENSITY: IntensityOptions = { percentiles: DEFAULT_PERCENTILES, levels: MODEL_LEVELS };
