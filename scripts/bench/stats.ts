/** Small statistics and table printing for the benchmarks (medians: these machines are noisy). */

export function percentile(samples: number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] as number;
}

export const median = (samples: number[]) => percentile(samples, 50);

/** Runs `fn` `warmup` times unmeasured, then `iterations` times, returning each duration in ms. */
export async function sample(fn: () => Promise<unknown>, iterations: number, warmup = 20): Promise<number[]> {
  for (let i = 0; i < warmup; i++) await fn();
  const durations: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const started = performance.now();
    await fn();
    durations.push(performance.now() - started);
  }
  return durations;
}

/** Prints rows as an aligned Markdown table (pasteable into the README), by `out` (console.log). */
export function printTable(
  headers: string[],
  rows: Array<Array<string | number>>,
  out: (line: string) => void = (line) => console.log(line),
): void {
  const cells = [headers, ...rows.map((row) => row.map(String))];
  const widths = headers.map((_, i) => Math.max(...cells.map((row) => (row[i] ?? "").length)));
  const line = (row: string[]) => `| ${row.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join(" | ")} |`;
  out(line(headers));
  out(`|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`);
  for (const row of cells.slice(1)) out(line(row));
}

export const ms = (value: number) => value.toFixed(2);

/** `p50 / p90 / p99` of `samples` in seconds with two decimals, or "–" when there are none. */
export function secondsSpread(samples: number[], ps: number[] = [50, 90, 99]): string {
  if (samples.length === 0) return "–";
  return ps.map((p) => (percentile(samples, p) / 1000).toFixed(2)).join(" / ");
}
