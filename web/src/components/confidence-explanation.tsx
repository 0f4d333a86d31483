import { type ModelFigures, percent } from "../viewer/model-figures";

type Props = {
  figures: ModelFigures | null;
  /** The confidence the boxes are filtered at: the viewer's threshold or the job's, the higher. */
  minScore: number;
  /** The class of the selected indication and its score, if one with a score is selected. */
  selected: { label: string; score: number } | null;
};

/** What a threshold other than the measured one does to the figures. */
function thresholdNote(measured: number, current: number): string {
  if (Math.abs(measured - current) < 0.005) return "Your threshold is the one these were measured at.";
  const at = `Your threshold is ${current.toFixed(2)}`;
  return current > measured
    ? `${at}, above ${measured}: expect fewer false indications (higher precision) and more missed ones (lower recall) than these.`
    : `${at}, below ${measured}: expect more of the real indications found (higher recall) and more false ones (lower precision) than these.`;
}

/**
 * What a confidence score means: the model's per-class precision and recall at the threshold its
 * evaluation counted them at, what they were measured on and where its training films came from.
 */
export function ConfidenceExplanation({ figures, minScore, selected }: Props) {
  const row = selected && figures?.perClass.find((entry) => entry.name === selected.label);
  return (
    <div class="confidence-explanation" data-testid="confidence-explanation">
      {row && figures && (
        <p class="hint" data-testid="selected-class-figures">
          {selected.label} {selected.score.toFixed(2)}: of this model's {selected.label} boxes
          {figures.threshold === null ? "" : ` at ≥ ${figures.threshold}`}, {percent(row.precision)} were
          real; it found {percent(row.recall)} of real ones.
        </p>
      )}
      <details>
        <summary>What does confidence mean?</summary>
        <p>
          A score (0–1) is how sure the model is that a box holds an indication of that class. It is not a
          probability: what it is worth is measured, per class, below.
        </p>
        {figures ? (
          <>
            <table class="figures">
              <caption>
                {figures.threshold === null ? "As reported" : `At confidence ≥ ${figures.threshold}`}, on{" "}
                {figures.evaluatedOn}
              </caption>
              <thead>
                <tr>
                  <th scope="col">Class</th>
                  <th scope="col" title="Of the boxes drawn for the class, the share that were real">
                    Precision
                  </th>
                  <th scope="col" title="Of the real indications of the class, the share found">
                    Recall
                  </th>
                </tr>
              </thead>
              <tbody>
                {figures.perClass.map((entry) => (
                  <tr data-class={entry.name}>
                    <th scope="row">{entry.name}</th>
                    <td>{percent(entry.precision)}</td>
                    <td>{percent(entry.recall)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            <p class="hint">
              Precision: of the boxes drawn for a class, the share that were real. Recall: of the real
              indications, the share found.{" "}
              {figures.threshold === null ? "" : thresholdNote(figures.threshold, minScore)}
            </p>
            <p data-testid="training-data">Trained on {figures.trainedOn}.</p>
            {figures.caveat && <p class="hint">{figures.caveat}</p>}
          </>
        ) : (
          <p class="hint">This model has no recorded evaluation: its scores have no measured meaning.</p>
        )}
      </details>
    </div>
  );
}
