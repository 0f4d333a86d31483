import { useEffect, useState } from "hono/jsx/dom";
import type { ReviewAction } from "../api/types";
import { classColour } from "../viewer/detections";
import type { Indication } from "../viewer/indications";

type Props = {
  indication: Indication;
  classes: Array<{ classId: number; label: string }>;
  onAct(actions: ReviewAction[]): void;
  busy: boolean;
};

/** Review of the selected indication: decision, class, note. Resizing is done on the canvas. */
export function ReviewPanel({ indication, classes, onAct, busy }: Props) {
  const [note, setNote] = useState(indication.note ?? "");
  useEffect(() => setNote(indication.note ?? ""), [indication.key, indication.note]);
  const itemId = indication.key;

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
        <button type="button" disabled={busy} onClick={() => onAct([{ type: "accept", itemId }])}>
          Accept <kbd>a</kbd>
        </button>
        <button type="button" disabled={busy} onClick={() => onAct([{ type: "reject", itemId }])}>
          Reject <kbd>r</kbd>
        </button>
      </div>
      <label htmlFor="relabel">Class</label>
      <select
        id="relabel"
        disabled={busy}
        onChange={(event: Event) => {
          const classId = Number((event.target as HTMLSelectElement).value);
          const chosen = classes.find((entry) => entry.classId === classId);
          if (chosen && chosen.classId !== indication.classId)
            onAct([{ type: "relabel", itemId, classId: chosen.classId, label: chosen.label }]);
        }}
      >
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
        disabled={busy}
        onClick={() => onAct([{ type: "note", itemId, note: note.trim() ? note.trim() : null }])}
      >
        Save note
      </button>
      <p class="hint">Drag a corner of the selected box to resize it.</p>
    </section>
  );
}
