import { useEffect, useRef, useState } from "hono/jsx/dom";
import { isFailure } from "../api/client";
import { formatDelta, formatMetric } from "../api/model-metrics";
import { type Evaluation, getModelEvaluation, type ModelVersion } from "../api/models";
import { ErrorMessage } from "./error-message";
import { VersionComparison } from "./version-comparison";

/** How often a queued or running evaluation is read again. */
const POLL_MS = 2000;

type EvaluationState =
  | { kind: "loading" }
  | { kind: "none" }
  | { kind: "found"; evaluation: Evaluation }
  | { kind: "error"; error: unknown };

const isPending = (evaluation: Evaluation) =>
  evaluation.status === "queued" || evaluation.status === "running";

/**
 * The version's evaluation, read again while it is queued or running; `onFinished` is told when
 * one it saw pending ends (the registry then holds the service's figures for the version).
 */
function useEvaluation(version: ModelVersion, onFinished: () => void): EvaluationState {
  const [state, setState] = useState<EvaluationState>({ kind: "loading" });
  const [reads, setReads] = useState(0);
  const sawPending = useRef(false);
  useEffect(() => {
    sawPending.current = false;
    setState({ kind: "loading" });
  }, [version.id]);
  useEffect(() => {
    let current = true;
    getModelEvaluation(version.name, version.version).then(
      (evaluation) => {
        if (!current) return;
        const finished = sawPending.current && !isPending(evaluation);
        sawPending.current = isPending(evaluation);
        setState({ kind: "found", evaluation });
        if (finished) onFinished();
      },
      (error) =>
        current && setState(isFailure(error, "not_found") ? { kind: "none" } : { kind: "error", error }),
    );
    return () => {
      current = false;
    };
  }, [version.id, reads]);
  const pending = state.kind === "found" && isPending(state.evaluation);
  useEffect(() => {
    if (!pending) return;
    const timer = setInterval(() => setReads((count) => count + 1), POLL_MS);
    return () => clearInterval(timer);
  }, [pending, version.id]);
  return state;
}

const METRIC_LABELS: Record<string, string> = { precision: "Precision", recall: "Recall" };

/** What the status line says of an evaluation that has not produced its table. */
function statusText(evaluation: Evaluation): string {
  switch (evaluation.status) {
    case "queued":
      return `Evaluation queued: ${evaluation.candidate.ref} beside ${evaluation.baseline.ref} on the validation split.`;
    case "running":
      return `Evaluation running (attempt ${evaluation.attempts}): ${evaluation.candidate.ref} beside ${evaluation.baseline.ref}.`;
    case "failed":
      return "Evaluation failed.";
    case "succeeded":
      return `Evaluated on ${evaluation.images ?? 0} validation image(s) with ${evaluation.truths ?? 0} box(es), in ${(evaluation.seconds ?? 0).toFixed(1)} s.`;
  }
}

/** The service's figures side by side: each metric, then AP@0.5 per dataset class. */
function EvaluationTable({
  evaluation,
  table,
}: {
  evaluation: Evaluation;
  table: NonNullable<Evaluation["table"]>;
}) {
  const { candidate, baseline, threshold } = evaluation;
  return (
    <table class="compact" data-testid="evaluation-table">
      <caption>
        {candidate.ref} against {baseline.source === "registry" ? "production " : "shipped model "}
        {baseline.ref} (validation split; precision and recall at confidence {formatMetric(threshold)})
      </caption>
      <thead>
        <tr>
          <th scope="col">Metric</th>
          <th scope="col">{candidate.ref}</th>
          <th scope="col">{baseline.ref}</th>
          <th scope="col">Difference</th>
        </tr>
      </thead>
      <tbody>
        {table.metrics.map((row) => (
          <tr data-metric={row.metric}>
            <th scope="row">{METRIC_LABELS[row.metric] ?? row.metric}</th>
            <td>{formatMetric(row.candidate)}</td>
            <td>{formatMetric(row.baseline)}</td>
            <td>{formatDelta(row.delta)}</td>
          </tr>
        ))}
        {table.perClass.map((row) => (
          <tr data-class={row.name}>
            <th scope="row">
              AP@0.5 {row.name} ({row.truths} box(es))
            </th>
            <td>{formatMetric(row.candidate?.ap50 ?? null)}</td>
            <td>{formatMetric(row.baseline?.ap50 ?? null)}</td>
            <td>{formatDelta(row.ap50Delta)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** The status line of the evaluation as it stands: loading, none, queued, running, failed or done. */
function EvaluationStatus({ state }: { state: EvaluationState }) {
  if (state.kind === "error") return <ErrorMessage error={state.error} />;
  if (state.kind !== "found") {
    return (
      <p data-testid="evaluation-status" data-status={state.kind}>
        {state.kind === "none" ? "Not evaluated: no dataset." : "Loading the evaluation…"}
      </p>
    );
  }
  const { evaluation } = state;
  return (
    <>
      <p data-testid="evaluation-status" data-status={evaluation.status} role="status">
        {statusText(evaluation)}
      </p>
      {evaluation.error && (
        <p class="error" role="alert">
          {evaluation.error.message} ({evaluation.error.code})
        </p>
      )}
    </>
  );
}

/**
 * The version beside the model it would replace: the inference service's evaluation on the
 * dataset's val split once it succeeded; until then (or without a dataset) the figures the
 * registry recorded with the version, against production.
 */
export function VersionEvaluation({
  version,
  production,
  onFinished,
}: {
  version: ModelVersion;
  production: ModelVersion | null;
  onFinished(): void;
}) {
  const state = useEvaluation(version, onFinished);
  const table = state.kind === "found" ? state.evaluation.table : null;
  return (
    <section aria-labelledby="evaluation-heading" data-testid="evaluation">
      <h3 id="evaluation-heading">Evaluation of {version.ref}</h3>
      <EvaluationStatus state={state} />
      {state.kind === "found" && table ? (
        <EvaluationTable evaluation={state.evaluation} table={table} />
      ) : (
        <VersionComparison candidate={version} production={production} />
      )}
    </section>
  );
}
