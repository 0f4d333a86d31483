import { useEffect, useState } from "hono/jsx/dom";
import type { JobReview, ReviewAction } from "../api/types";
import { classColour } from "../viewer/detections";
import type { ClassChoice, Indication } from "../viewer/indications";

type Props = {
  indication: Indication;
  /** The model's classes (`classChoices`): what an indication may be relabelled to. */
  classes: ClassChoice[];
  onAct(actions: ReviewAction[]): void;
};

/**
 * Review of the selected indication: decision, class, note. Resizing is done on the canvas.
 * Nothing here waits for a save: actions are queued and sent one at a time, in order.
 */
export function ReviewPanel({ indication, classes, onAct }: Props) {
  const [note, setNote] = useState(indication.note ?? "");
  useEffect(() => setNote(indication.note ?? ""), [indication.key, indication.note]);
  const itemId = indication.key;
  const known = classes.some((entry) => entry.classId === indication.classId);

  return (
    <section class="review-panel" aria-labelledby="review-heading" data-testid="review-panel">
      <h2 id="review-heading">
        <span class="swatch" style={`background:${classColour(indication.classId)}`} aria-hidden="true" />
        {indication.label} {indication.score === null ? "(drawn)" : indication.score.toFixed(2)}
      </h2>
      <p>
        Decision: <strong data-testid="decision">{indication.decision}</strong>
      </p>
      <div class="button-row">
        <button type="button" onClick={() => onAct([{ type: "accept", itemId }])}>
          Accept <kbd>a</kbd>
        </button>
        <button type="button" onClick={() => onAct([{ type: "reject", itemId }])}>
          Reject <kbd>r</kbd>
        </button>
        <button
          type="button"
          disabled={indication.decision === "pending"}
          onClick={() => onAct([{ type: "reset", itemId }])}
        >
          Back to pending
        </button>
      </div>
      <label htmlFor="relabel">Class</label>
      <select
        id="relabel"
        onChange={(event: Event) => {
          const classId = Number((event.target as HTMLSelectElement).value);
          const chosen = classes.find((entry) => entry.classId === classId);
          if (chosen && (chosen.classId !== indication.classId || chosen.label !== indication.label))
            onAct([{ type: "relabel", itemId, classId: chosen.classId, label: chosen.label }]);
        }}
      >
        {!known && (
          <option value="" selected disabled>
            {indication.label} (not a class of the model)
          </option>
        )}
        {classes.map((entry) => (
          <option value={String(entry.classId)} selected={entry.classId === indication.classId}>
            {entry.label}
          </option>
        ))}
      </select>
      <label htmlFor="note">Note</label>
      <textarea
        id="note"
        rows={3}
        maxLength={10_000}
        value={note}
        onInput={(event: Event) => setNote((event.target as HTMLTextAreaElement).value)}
      />
      <button
        type="button"
        onClick={() => onAct([{ type: "note", itemId, note: note.trim() ? note.trim() : null }])}
      >
        Save note
      </button>
      <p class="hint">Drag a corner of the selected box to resize it.</p>
    </section>
  );
}

type SummaryProps = {
  review: JobReview;
  busy: boolean;
  history: { undo: number; redo: number };
  /** The viewer's confidence threshold: where "accept all pending" starts. */
  threshold: number;
  onAct(actions: ReviewAction[]): void;
  onUndo(): void;
  onRedo(): void;
};

const pendingAtLeast = (review: JobReview, minScore: number) =>
  review.items.filter((item) => item.decision === "pending" && item.score !== null && item.score >= minScore)
    .length;

/** The review as a whole: counts, whether changes are saved, undo and redo, accept all above a score. */
export function ReviewSummary({ review, busy, history, threshold, onAct, onUndo, onRedo }: SummaryProps) {
  const [minScore, setMinScore] = useState(threshold);
  useEffect(() => setMinScore(threshold), [threshold]);
  const { pending, accepted, rejected } = review.counts;
  const eligible = pendingAtLeast(review, minScore);
  return (
    <section aria-labelledby="review-summary-heading" data-testid="review-summary">
      <h2 id="review-summary-heading">Review</h2>
      <p data-testid="review-counts">
        <strong>{pending}</strong> pending · {accepted} accepted · {rejected} rejected
      </p>
      <p role="status" class="hint" data-testid="review-saving" data-busy={String(busy)}>
        {busy ? "Saving…" : "All changes saved"}
      </p>
      <div class="button-row">
        <button type="button" disabled={history.undo === 0} onClick={onUndo} title="Ctrl+Z">
          Undo <kbd>Ctrl+Z</kbd>
        </button>
        <button type="button" disabled={history.redo === 0} onClick={onRedo} title="Ctrl+Shift+Z">
          Redo <kbd>Ctrl+Shift+Z</kbd>
        </button>
      </div>
      <label htmlFor="accept-min-score">Bulk accept pending at or above</label>
      <div class="button-row">
        <input
          id="accept-min-score"
          type="number"
          min="0"
          max="1"
          step="0.05"
          value={String(minScore)}
          onInput={(event: Event) => {
            const value = Number((event.target as HTMLInputElement).value);
            if (Number.isFinite(value)) setMinScore(Math.min(1, Math.max(0, value)));
          }}
        />
        <button
          type="button"
          disabled={eligible === 0}
          onClick={() => onAct([{ type: "accept-pending", minScore }])}
        >
          Bulk accept: {eligible} pending ≥ {minScore.toFixed(2)}
        </button>
      </div>
    </section>
  );
}
