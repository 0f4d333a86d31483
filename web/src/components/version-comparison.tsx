import { formatDelta, formatMetric, type MetricsSummary, summarizeMetrics } from "../api/model-metrics";
import type { ModelVersion } from "../api/models";

type Row = { label: string; candidate: number | null; current: number | null };

function rowsOf(candidate: MetricsSummary, current: MetricsSummary | null): Row[] {
  const rows: Row[] = [
    { label: "mAP@0.5", candidate: candidate.map50, current: current?.map50 ?? null },
    { label: "mAP@0.5:0.95", candidate: candidate.map50_95, current: current?.map50_95 ?? null },
    { label: "Precision", candidate: candidate.precision, current: current?.precision ?? null },
    { label: "Recall", candidate: candidate.recall, current: current?.recall ?? null },
  ];
  const names = [
    ...new Set([...candidate.perClass, ...(current?.perClass ?? [])].map((entry) => entry.name)),
  ];
  for (const name of names) {
    const apOf = (summary: MetricsSummary | null) =>
      summary?.perClass.find((entry) => entry.name === name)?.ap50 ?? null;
    rows.push({ label: `AP@0.5 ${name}`, candidate: apOf(candidate), current: apOf(current) });
  }
  return rows;
}

const difference = (row: Row) =>
  formatDelta(row.candidate === null || row.current === null ? null : row.candidate - row.current);

/**
 * A version's figures beside the production version it would replace (its own, when it is in
 * production): what the promotion gate compares (validation mAP@0.5) and the rest for context.
 */
export function VersionComparison({
  candidate,
  production,
}: {
  candidate: ModelVersion;
  production: ModelVersion | null;
}) {
  const replaces = production && production.id !== candidate.id ? production : null;
  const rows = rowsOf(
    summarizeMetrics(candidate.metrics, candidate.classes),
    replaces ? summarizeMetrics(replaces.metrics, replaces.classes) : null,
  );
  return (
    <table class="compact" data-testid="version-comparison">
      <caption>
        {replaces
          ? `${candidate.ref} against production ${replaces.ref} (validation split)`
          : `${candidate.ref} (validation split)`}
      </caption>
      <thead>
        <tr>
          <th scope="col">Metric</th>
          <th scope="col">{candidate.ref}</th>
          {replaces && <th scope="col">{replaces.ref}</th>}
          {replaces && <th scope="col">Difference</th>}
        </tr>
      </thead>
      <tbody>
        {rows.map((row) => (
          <tr>
            <th scope="row">{row.label}</th>
            <td>{formatMetric(row.candidate)}</td>
            {replaces && <td>{formatMetric(row.current)}</td>}
            {replaces && <td>{difference(row)}</td>}
          </tr>
        ))}
      </tbody>
    </table>
  );
}
