import type { ClassChoice } from "../viewer/indications";

type Props = {
  /** The model's classes (`classChoices`); empty when neither the model nor the film names any. */
  classes: ClassChoice[];
  drawClass: number;
  onDrawClass(classId: number): void;
  drawing: boolean;
  onDrawing(drawing: boolean): void;
};

/** Drawing a missed defect: pick its class (one of the model's), press Draw, drag a box on the film. */
export function DrawPanel({ classes, drawClass, onDrawClass, drawing, onDrawing }: Props) {
  if (classes.length === 0) {
    return (
      <section aria-labelledby="draw-heading">
        <h2 id="draw-heading">Missed defect</h2>
        <p class="hint">
          This job's model did not report its classes, so there is no class to give a drawn box.
        </p>
      </section>
    );
  }
  return (
    <section aria-labelledby="draw-heading">
      <h2 id="draw-heading">Missed defect</h2>
      <label htmlFor="draw-class">Class of the new box</label>
      <select
        id="draw-class"
        onChange={(event: Event) => onDrawClass(Number((event.target as HTMLSelectElement).value))}
      >
        {classes.map((entry) => (
          <option value={String(entry.classId)} selected={entry.classId === drawClass}>
            {entry.label}
          </option>
        ))}
      </select>
      <button type="button" aria-pressed={drawing} onClick={() => onDrawing(!drawing)}>
        {drawing ? "Drawing: drag on the image" : "Draw a box"} <kbd>d</kbd>
      </button>
    </section>
  );
}
