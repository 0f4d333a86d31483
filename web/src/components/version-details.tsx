import { useEffect, useState } from "hono/jsx/dom";
import { getModelCard, type ModelVersion } from "../api/models";
import { AppLink, modelPath } from "./app-link";
import { ErrorMessage } from "./error-message";
import { MarkdownText } from "./markdown-text";

/** The training run a version came from, as the registry recorded it in its metrics. */
export function trainingRunOf(version: ModelVersion): string | null {
  const training = (version.metrics as { training?: { id?: unknown } } | null)?.training;
  return typeof training?.id === "string" ? training.id : null;
}

/** The base model's name: `name@N` of a registry version, or a shipped model's name. */
const baseName = (ref: string) => (ref.includes("@") ? ref.slice(0, ref.lastIndexOf("@")) : ref);

/** Where a version came from: its dataset, base model and training run, each a link. */
export function VersionLineage({ version }: { version: ModelVersion }) {
  const run = trainingRunOf(version);
  return (
    <dl class="facts" data-testid="lineage">
      <dt>Dataset</dt>
      <dd>
        {version.datasetId ? (
          <AppLink to={`/datasets/${version.datasetId}`}>{version.datasetId}</AppLink>
        ) : (
          "not recorded"
        )}
      </dd>
      <dt>Base model</dt>
      <dd>
        {version.baseModel ? (
          <AppLink to={modelPath(baseName(version.baseModel))}>{version.baseModel}</AppLink>
        ) : (
          "not recorded"
        )}
      </dd>
      <dt>Training run</dt>
      <dd>{run ? <AppLink to={`/trainings/${run}`}>{run}</AppLink> : "none (uploaded)"}</dd>
      <dt>File</dt>
      <dd>
        {(version.bytes / 1_048_576).toFixed(1)} MiB, {version.layout}, input {version.inputSize.width}×
        {version.inputSize.height}, SHA-256 <code>{version.sha256.slice(0, 16)}…</code>
      </dd>
    </dl>
  );
}

/** The version's model card (markdown from the registry), shown as text-built elements. */
export function ModelCard({ version }: { version: ModelVersion }) {
  const [card, setCard] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    setCard(null);
    setError(null);
    getModelCard(version.name, version.version).then(setCard, setError);
  }, [version.id]);
  return (
    <details class="model-card">
      <summary>Model card of {version.ref}</summary>
      <ErrorMessage error={error} />
      {card === null ? <p>Loading the card…</p> : <MarkdownText markdown={card} headingBase={3} />}
    </details>
  );
}
