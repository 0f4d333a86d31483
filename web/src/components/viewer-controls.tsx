import type { Image } from "../api/types";
import { classColour } from "../viewer/detections";
import { SHORTCUTS } from "../viewer/shortcuts";

type Props = {
  image: Image | null;
  minScore: number;
  onMinScore(value: number): void;
  classes: Array<{ classId: number; label: string; count: number }>;
  hidden: ReadonlySet<number>;
  onToggleClass(classId: number): void;
  windowing: { level: number; width: number };
  onWindowing(value: { level: number; width: number }): void;
  onAutoWindow(): void;
  onZoom(factor: number): void;
  onFit(): void;
};

const numberFrom = (event: Event) => Number((event.target as HTMLInputElement).value);

/** Filters, window/level and zoom: everything changes the picture live, nothing is saved. */
export function ViewerControls(props: Props) {
  const { image, windowing } = props;
  return (
    <div class="viewer-controls">
      <label htmlFor="min-score">
        Confidence ≥ <output data-testid="min-score-value">{props.minScore.toFixed(2)}</output>
      </label>
      <input
        id="min-score"
        type="range"
        min={0}
        max={1}
        step={0.01}
        value={String(props.minScore)}
        onInput={(event: Event) => props.onMinScore(numberFrom(event))}
      />
      <fieldset>
        <legend>Classes</legend>
        {props.classes.map((entry) => (
          <label class="check">
            <input
              type="checkbox"
              checked={!props.hidden.has(entry.classId)}
              onChange={() => props.onToggleClass(entry.classId)}
            />
            <span class="swatch" style={`background:${classColour(entry.classId)}`} aria-hidden="true" />
            {entry.label} ({entry.count})
          </label>
        ))}
      </fieldset>
      <fieldset>
        <legend>Window / level</legend>
        <label htmlFor="window-level">Level {windowing.level}</label>
        <input
          id="window-level"
          type="range"
          min={0}
          max={255}
          value={String(windowing.level)}
          onInput={(event: Event) => props.onWindowing({ ...windowing, level: numberFrom(event) })}
        />
        <label htmlFor="window-width">Width {windowing.width}</label>
        <input
          id="window-width"
          type="range"
          min={1}
          max={256}
          value={String(windowing.width)}
          onInput={(event: Event) => props.onWindowing({ ...windowing, width: numberFrom(event) })}
        />
        <div class="button-row">
          <button type="button" onClick={props.onAutoWindow}>
            Auto <kbd>w</kbd>
          </button>
          <button type="button" onClick={() => props.onWindowing({ level: 128, width: 256 })}>
            Reset
          </button>
        </div>
        {image?.bitDepth === 16 && (
          <p class="hint" data-testid="bit-depth-note">
            This {image.format.toUpperCase()} has 16 bits per sample; browsers decode it to 8, so the window
            works on those 8-bit values.
          </p>
        )}
      </fieldset>
      <fieldset class="button-row">
        <legend>Zoom</legend>
        <button type="button" onClick={() => props.onZoom(1.25)} aria-label="Zoom in">
          +
        </button>
        <button type="button" onClick={() => props.onZoom(0.8)} aria-label="Zoom out">
          −
        </button>
        <button type="button" onClick={props.onFit}>
          Fit <kbd>0</kbd>
        </button>
      </fieldset>
      <details>
        <summary>Keyboard shortcuts</summary>
        <dl class="shortcuts">
          {SHORTCUTS.map((shortcut) => (
            <>
              <dt>
                {shortcut.keys.map((key) => (
                  <kbd>{key}</kbd>
                ))}
              </dt>
              <dd>{shortcut.help}</dd>
            </>
          ))}
        </dl>
      </details>
    </div>
  );
}
