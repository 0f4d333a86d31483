import type { Source } from "./schema";

/** A limit that grows with thickness up to a cap: min(fractionOfT × t, capMm). */
export interface ThicknessLimit {
  fractionOfT: number;
  capMm: number;
}

export function thicknessLimitMm(limit: ThicknessLimit, thicknessMm: number): number {
  return Math.min(limit.fractionOfT * thicknessMm, limit.capMm);
}

/** A rule as data: an id a finding names, where it comes from, and its numbers. */
export interface RuleData<Limits> {
  id: string;
  source: Source;
  limits: Limits;
}
