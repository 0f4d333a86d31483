import { useEffect, useState } from "hono/jsx/dom";
import { type Dataset, getDataset, listDatasets } from "../api/datasets";
import { usePagedList } from "../api/use-paged-list";
import { AppLink } from "../components/app-link";
import { DatasetBuilder } from "../components/dataset-builder";
import { DatasetImport } from "../components/dataset-import";
import { classCounts, DatasetVersions } from "../components/dataset-versions";
import { ErrorMessage } from "../components/error-message";
import { TableHead } from "../components/table-head";

const createdText = (dataset: Dataset) => {
  const { pending, unreviewed, duplicate } = dataset.skipped;
  return `${dataset.name} v${dataset.version} created: ${dataset.counts.images.total} image(s) (${dataset.counts.images.train} train, ${dataset.counts.images.val} val), ${classCounts(dataset)}; left out ${pending} pending, ${unreviewed} unreviewed, ${duplicate} duplicate.`;
};

/** The dataset builder: versions from reviewed jobs, archive imports, and the versions made. */
export function DatasetsPage() {
  const datasets = usePagedList(listDatasets());
  const [notice, setNotice] = useState<string | null>(null);
  const created = (dataset: Dataset) => {
    setNotice(createdText(dataset));
    datasets.update((list) => [dataset, ...list]);
  };
  return (
    <section>
      <h1>Datasets</h1>
      <p class="hint">
        A version holds each chosen job's reviewed boxes (accepted and drawn, by their reviewed class); jobs
        whose review is pending, or that nobody reviewed, are left out. Versions never change.
      </p>
      {notice && (
        <p class="notice" role="status" data-testid="dataset-created">
          {notice}
        </p>
      )}
      <DatasetBuilder onCreated={created} />
      <DatasetImport onCreated={created} />
      <h2>Versions</h2>
      <DatasetVersions datasets={datasets} />
    </section>
  );
}

/** One dataset version: its classes, counts per split and class, split settings and lineage. */
export function DatasetPage({ id }: { id: string }) {
  const [dataset, setDataset] = useState<Dataset | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    getDataset(id).then(setDataset, setError);
  }, [id]);
  const { pending = 0, unreviewed = 0, duplicate = 0 } = dataset?.skipped ?? {};
  return (
    <section>
      <h1>{dataset ? `Dataset ${dataset.name} v${dataset.version}` : "Dataset"}</h1>
      <p>
        <AppLink to="/datasets">All datasets</AppLink>
      </p>
      <ErrorMessage error={error} />
      {dataset && (
        <>
          <dl class="facts">
            <dt>Source</dt>
            <dd>{dataset.source}</dd>
            <dt>Images</dt>
            <dd>
              {dataset.counts.images.total} ({dataset.counts.images.train} train, {dataset.counts.images.val}{" "}
              val)
            </dd>
            <dt>Split</dt>
            <dd>
              {Math.round(dataset.valFraction * 100)} % val, seed {dataset.seed}
            </dd>
            <dt>Left out</dt>
            <dd>
              {pending} pending, {unreviewed} unreviewed, {duplicate} duplicate
            </dd>
            <dt>Built on</dt>
            <dd>
              {dataset.parentId ? (
                <AppLink to={`/datasets/${dataset.parentId}`}>the previous version</AppLink>
              ) : (
                "nothing"
              )}
            </dd>
          </dl>
          <table class="compact">
            <caption>Boxes per class and split</caption>
            <TableHead columns={["Class", "Train", "Val"]} />
            <tbody>
              {dataset.counts.perClass.map((entry) => (
                <tr>
                  <td>{entry.name}</td>
                  <td>{entry.train}</td>
                  <td>{entry.val}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <p>
            <AppLink to={`/trainings?dataset=${dataset.id}`}>Train a model on this version</AppLink>
          </p>
        </>
      )}
    </section>
  );
}
