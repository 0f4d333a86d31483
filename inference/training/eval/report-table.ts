/** Plain-text table of evaluation metrics, one row per class plus the overall row. */

import type { DatasetMetrics } from "@inference/eval/average-precision";

const fmt = (v: number): string => (Number.isFinite(v) ? v.toFixed(3) : "-");

export function formatMetricsTable(metrics: DatasetMetrics, names: readonly string[]): string {
  const header = ["class", "truths", "AP50", "AP50-95", "P", "R"];
  const rows = metrics.perClass.map((m) => [
    names[m.classId] ?? `class_${m.classId}`,
    String(m.truths),
    fmt(m.ap50),
    fmt(m.ap),
    fmt(m.precision),
    fmt(m.recall),
  ]);
  rows.push([
    "all",
    String(metrics.truths),
    fmt(metrics.map50),
    fmt(metrics.map),
    fmt(metrics.precision),
    fmt(metrics.recall),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join("  ");
  const rule = widths.map((w) => "-".repeat(w)).join("  ");
  return [line(header), rule, ...rows.slice(0, -1).map(line), rule, line(rows[rows.length - 1] ?? [])].join(
    "\n",
  );
}
