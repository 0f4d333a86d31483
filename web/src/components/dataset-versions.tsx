import type { Dataset } from "../api/datasets";
import type { PagedList } from "../api/use-paged-list";
import { AppLink } from "./app-link";
import { LoadMore } from "./load-more";
import { TableHead } from "./table-head";

/** Per class, boxes in train and val: `porosity 12/3`. */
export const classCounts = (dataset: Dataset) =>
  dataset.counts.perClass.map((entry) => `${entry.name} ${entry.train}/${entry.val}`).join(", ") ||
  "no boxes";

/** The user's dataset versions with their split and class counts. */
export function DatasetVersions({ datasets }: { datasets: PagedList<Dataset> }) {
  return (
    <>
      <table aria-live="polite" data-testid="dataset-versions">
        <caption>Dataset versions (newest first; counts are train/val)</caption>
        <TableHead
          columns={["Dataset", "Source", "Images", "Boxes", "Boxes per class", "Created"]}
          actions="Actions"
        />
        <tbody>
          {datasets.items.map((dataset) => (
            <tr data-dataset-id={dataset.id}>
              <td>
                <AppLink to={`/datasets/${dataset.id}`}>
                  {dataset.name} v{dataset.version}
                </AppLink>
              </td>
              <td>{dataset.source}</td>
              <td>
                {dataset.counts.images.train}/{dataset.counts.images.val}
              </td>
              <td>
                {dataset.counts.boxes.train}/{dataset.counts.boxes.val}
              </td>
              <td>{classCounts(dataset)}</td>
              <td>{new Date(dataset.createdAt).toLocaleString()}</td>
              <td>
                <AppLink
                  to={`/trainings?dataset=${dataset.id}`}
                  label={`Train a model on ${dataset.name} v${dataset.version}`}
                >
                  Train
                </AppLink>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <LoadMore list={datasets} noun="dataset versions" />
      {datasets.loaded && datasets.items.length === 0 && <p>No datasets yet.</p>}
    </>
  );
}
