import { formatMetric, summarizeMetrics } from "../api/model-metrics";
import type { ModelVersion } from "../api/models";
import type { PagedList } from "../api/use-paged-list";
import { LoadMore } from "./load-more";
import { TableHead } from "./table-head";

type Props = {
  versions: PagedList<ModelVersion>;
  selected: number | null;
  onSelect(version: number): void;
};

/** A name's versions, newest first, with their headline metrics side by side. */
export function ModelVersionsTable({ versions, selected, onSelect }: Props) {
  return (
    <>
      <table aria-live="polite">
        <caption>Versions (newest first)</caption>
        <TableHead
          columns={["Version", "mAP@0.5", "mAP@0.5:0.95", "Precision", "Recall", "Classes", "Created"]}
          actions="Details"
        />
        <tbody>
          {versions.items.map((version) => {
            const metrics = summarizeMetrics(version.metrics, version.classes);
            return (
              <tr data-version={version.version} data-production={String(version.production)}>
                <td>
                  {version.ref}
                  {version.production && <span class="badge"> production</span>}
                </td>
                <td>{formatMetric(metrics.map50)}</td>
                <td>{formatMetric(metrics.map50_95)}</td>
                <td>{formatMetric(metrics.precision)}</td>
                <td>{formatMetric(metrics.recall)}</td>
                <td>{version.classes.join(", ")}</td>
                <td>{new Date(version.createdAt).toLocaleString()}</td>
                <td>
                  <button
                    type="button"
                    aria-pressed={selected === version.version}
                    onClick={() => onSelect(version.version)}
                  >
                    Details<span class="visually-hidden"> of {version.ref}</span>
                  </button>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      <LoadMore list={versions} noun="versions" />
      {versions.loaded && versions.items.length === 0 && (
        <p>No versions yet: upload one through the API, or train one from a dataset.</p>
      )}
    </>
  );
}
