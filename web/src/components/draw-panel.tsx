type Props = {
  classes: Array<{ classId: number; label: string }>;
  drawClass: number;
  onDrawClass(classId: number): void;
  drawing: boolean;
  onDrawing(drawing: boolean): void;
};

/** Drawing a missed defect: pick its class, press Draw, drag a box on the film. */
export function DrawPanel({ classes, drawClass, onDrawClass, drawing, onDrawing }: Props) {
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
