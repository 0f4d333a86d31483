/**
 * The time target of issue #15, per image: total time within 1.3× of
 * (model inputs × one batched model run per input + decode), the baseline measured in the same run.
 */

export interface FilmTiming {
  /** Model inputs the image became (tiles, plus a whole-image pass). */
  tiles: number;
  decodeMs: number;
  /** Cutting tiles, decoding their boxes and merging them. */
  tilingMs: number;
  runMs: number;
  totalMs: number;
  /** One batched model run per input, measured right before this image. */
  perInputMs: number;
}

export function median(values: readonly number[]): number {
  return quantile(values, 0.5);
}

export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const at = (sorted.length - 1) * q;
  const lo = Math.floor(at);
  const hi = Math.ceil(at);
  return (sorted[lo] as number) + ((sorted[hi] as number) - (sorted[lo] as number)) * (at - lo);
}

/** Each image's total time over its baseline; median and the 10th–90th percentile spread. */
export function timingAgainstBaseline(films: readonly FilmTiming[]) {
  const ratios = films.map((f) => f.totalMs / (f.tiles * f.perInputMs + f.decodeMs));
  return {
    perInputMs: median(films.map((f) => f.perInputMs)),
    tilesMedian: median(films.map((f) => f.tiles)),
    totalMsMedian: median(films.map((f) => f.totalMs)),
    decodeMsMedian: median(films.map((f) => f.decodeMs)),
    tilingMsMedian: median(films.map((f) => f.tilingMs)),
    runMsMedian: median(films.map((f) => f.runMs)),
    ratioMedian: median(ratios),
    ratioP10: quantile(ratios, 0.1),
    ratioP90: quantile(ratios, 0.9),
  };
}

export function formatTiming(t: ReturnType<typeof timingAgainstBaseline>, batch: number): string {
  return [
    `time per image: median ${t.totalMsMedian.toFixed(1)} ms for ${t.tilesMedian} model inputs (decode ${t.decodeMsMedian.toFixed(1)} ms, runs ${t.runMsMedian.toFixed(1)} ms, tiling ${t.tilingMsMedian.toFixed(1)} ms);`,
    `one batched run ${t.perInputMs.toFixed(2)} ms per input (batch ${batch}, median of the baselines measured before each image);`,
    `total / (inputs × run + decode): median ${t.ratioMedian.toFixed(2)}, p10–p90 ${t.ratioP10.toFixed(2)}–${t.ratioP90.toFixed(2)}`,
  ].join(" ");
}
