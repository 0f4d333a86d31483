import { useEffect, useState } from "hono/jsx/dom";
import { type Dataset, listDatasets } from "../api/datasets";
import { listModels, type Model } from "../api/models";
import { createTraining, type Training } from "../api/trainings";
import { usePagedList } from "../api/use-paged-list";
import { ErrorMessage } from "./error-message";

/** What a run can start from: a shipped model by name, or a registry version as `name@N`. */
function baseChoices(models: Model[]): string[] {
  return models.flatMap((model) => {
    if (model.source === "shipped") return [model.name];
    const versions = [model.productionVersion, model.latestVersion].filter((v): v is number => v !== null);
    return [...new Set(versions)].map((version) => `${model.name}@${version}`);
  });
}

const optionalNumber = (form: FormData, name: string) => {
  const value = String(form.get(name) ?? "").trim();
  return value ? Number(value) : undefined;
};

/** Starts a fine-tuning run from a dataset version and a base model. */
export function TrainingForm({
  dataset,
  onStarted,
}: {
  dataset: string | null;
  onStarted(run: Training): void;
}) {
  const datasets = usePagedList(listDatasets());
  const [models, setModels] = useState<Model[]>([]);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    listModels().then((list) => setModels(list.items), setError);
  }, []);

  async function submit(event: Event) {
    event.preventDefault();
    const form = new FormData(event.target as HTMLFormElement);
    const imgsz = optionalNumber(form, "imgsz");
    const tileSize = optionalNumber(form, "tileSize");
    setError(null);
    try {
      const run = await createTraining({
        datasetId: String(form.get("datasetId")),
        baseModel: String(form.get("baseModel")),
        name: String(form.get("name") ?? "").trim(),
        epochs: optionalNumber(form, "epochs") ?? 10,
        ...(imgsz === undefined ? {} : { imgsz }),
        ...(tileSize === undefined ? {} : { tileSize }),
      });
      onStarted(run);
    } catch (failure) {
      setError(failure);
    }
  }

  const label = (entry: Dataset) =>
    `${entry.name} v${entry.version} (${entry.counts.images.train} train, ${entry.counts.images.val} val)`;
  return (
    <form onSubmit={submit} aria-labelledby="train-heading">
      <h2 id="train-heading">Start a training run</h2>
      <div class="inline-form">
        <label htmlFor="train-dataset">Dataset version</label>
        <select id="train-dataset" name="datasetId" required>
          {datasets.items.map((entry) => (
            <option value={entry.id} selected={entry.id === dataset}>
              {label(entry)}
            </option>
          ))}
        </select>
        <label htmlFor="train-base">Base model</label>
        <select id="train-base" name="baseModel" required>
          {baseChoices(models).map((choice) => (
            <option value={choice}>{choice}</option>
          ))}
        </select>
        <label htmlFor="train-name">Result model name</label>
        <input id="train-name" name="name" required pattern="[a-z0-9][a-z0-9._\-]{0,63}" maxLength={64} />
        <label htmlFor="train-epochs">Epochs</label>
        <input id="train-epochs" name="epochs" type="number" min={1} step={1} value="10" required />
        <label htmlFor="train-imgsz">Input size (px)</label>
        <input id="train-imgsz" name="imgsz" type="number" min={64} step={32} placeholder="base model's" />
        <label htmlFor="train-tile">Tile size (px, 0: none)</label>
        <input id="train-tile" name="tileSize" type="number" min={0} step={32} placeholder="automatic" />
        <button type="submit" disabled={datasets.items.length === 0}>
          Start training
        </button>
      </div>
      <p class="hint">
        Sizes are multiples of 32. A successful run adds the next version of the result model, with this
        dataset and base model as its lineage.
      </p>
      <ErrorMessage error={error} />
    </form>
  );
}
