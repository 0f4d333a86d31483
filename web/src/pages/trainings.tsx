import { useEffect, useState } from "hono/jsx/dom";
import { cancelTraining, followTraining, isFinal, listTrainings, type Training } from "../api/trainings";
import { usePagedList } from "../api/use-paged-list";
import { AppLink, modelPath } from "../components/app-link";
import { TrainingCharts } from "../components/epoch-chart";
import { ErrorMessage } from "../components/error-message";
import { LoadMore } from "../components/load-more";
import { TableHead } from "../components/table-head";
import { TrainingForm } from "../components/training-form";
import { navigate, useRoute } from "../router";

const progressText = (run: Training) => `${run.progress.length}/${run.params.epochs}`;

/** The user's runs, newest first, each leading to its live view. */
function TrainingList({ selected }: { selected: string | null }) {
  const runs = usePagedList(listTrainings());
  const active = runs.items.some((run) => !isFinal(run));
  useEffect(() => {
    if (!active) return;
    const timer = setInterval(() => runs.reload(), 5000);
    return () => clearInterval(timer);
  }, [active]);
  return (
    <>
      <table aria-live="polite">
        <caption>Your training runs (newest first)</caption>
        <TableHead columns={["Result model", "Base model", "Status", "Epochs", "Created"]} actions="Open" />
        <tbody>
          {runs.items.map((run) => (
            <tr
              data-training-id={run.id}
              data-status={run.status}
              aria-current={run.id === selected ? "true" : undefined}
            >
              <td>{run.name}</td>
              <td>{run.baseModel}</td>
              <td>
                <span class={`status status-${run.status}`}>{run.status}</span>
              </td>
              <td>{progressText(run)}</td>
              <td>{new Date(run.createdAt).toLocaleString()}</td>
              <td>
                <AppLink
                  to={`/trainings/${run.id}`}
                  label={`Open run ${run.name} of ${new Date(run.createdAt).toLocaleString()}`}
                >
                  Open
                </AppLink>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <LoadMore list={runs} noun="training runs" />
      {runs.loaded && runs.items.length === 0 && <p>No training runs yet.</p>}
    </>
  );
}

/** One run, live from its event stream: status, failure, charts, cancel, and the model made. */
function TrainingView({ id }: { id: string }) {
  const [run, setRun] = useState<Training | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => followTraining(id, setRun), [id]);

  async function cancel() {
    setError(null);
    try {
      setRun(await cancelTraining(id));
    } catch (failure) {
      setError(failure);
    }
  }
  if (!run) return <p>Loading the run…</p>;
  const modelName = run.model?.slice(0, run.model.lastIndexOf("@"));
  return (
    <section
      class="training-panel"
      aria-labelledby="run-heading"
      data-testid="training-view"
      data-status={run.status}
    >
      <h2 id="run-heading">Run {run.name}</h2>
      <dl class="facts">
        <dt>Status</dt>
        <dd>
          <span class={`status status-${run.status}`} role="status">
            {run.status}
          </span>
          {run.error && (
            <span data-testid="training-error">
              {" "}
              {run.error.message} ({run.error.code})
            </span>
          )}
        </dd>
        <dt>Dataset</dt>
        <dd>
          <AppLink to={`/datasets/${run.datasetId}`}>{run.datasetId}</AppLink>
        </dd>
        <dt>Base model</dt>
        <dd>{run.baseModel}</dd>
        <dt>Settings</dt>
        <dd>
          {run.params.epochs} epochs, input {run.params.imgsz ?? "the base model's"}, tiles{" "}
          {run.params.tileSize ?? "automatic"}, batch {run.params.batch}, seed {run.params.seed}; attempt{" "}
          {run.attempts}
        </dd>
        {run.model && modelName && (
          <>
            <dt>Result</dt>
            <dd>
              <AppLink to={modelPath(modelName)}>{run.model}</AppLink>
            </dd>
          </>
        )}
      </dl>
      <ErrorMessage error={error} />
      {!isFinal(run) && (
        <div class="button-row">
          <button type="button" onClick={cancel}>
            Cancel run
          </button>
        </div>
      )}
      <TrainingCharts run={run} />
    </section>
  );
}

/** Training runs: start one, follow it live, cancel it. */
export function TrainingsPage({ id }: { id?: string }) {
  const { query } = useRoute();
  return (
    <section>
      <h1>Training runs</h1>
      <TrainingForm dataset={query.get("dataset")} onStarted={(run) => navigate(`/trainings/${run.id}`)} />
      {id && <TrainingView id={id} />}
      <TrainingList selected={id ?? null} />
    </section>
  );
}
