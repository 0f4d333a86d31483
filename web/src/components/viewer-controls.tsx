import type { WindowLevel } from "@common/imaging/intensity";
import { classColour } from "../viewer/detections";
import { SHORTCUTS } from "../viewer/shortcuts";

type Props = {
  minScore: number;
  onMinScore(value: number): void;
  classes: Array<{ classId: number; label: string; count: number }>;
  hidden: ReadonlySet<number>;
  onToggleClass(classId: number): void;
  /** The window in the film's own values; null until the film is decoded. */
  window: WindowLevel | null;
  /** The values the film can hold. */
  range: { min: number; max: number } | null;
  /** What the window's numbers are, e.g. "16-bit stored values". */
  units: string;
  onWindow(value: WindowLevel): void;
  onAutoWindow(): void;
  onResetWindow(): void;
  onZoom(factor: number): void;
  onFit(): void;
};

const numberFrom = (event: Event) => Number((event.target as HTMLInputElement).value);

/** Filters, window/level and zoom: everything changes the picture live, nothing is saved. */
export function ViewerControls(props: Props) {
  const { window, range } = props;
  const shown = (value: number) => (Number.isInteger(value) ? String(value) : value.toFixed(1));
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
        {window && range && (
          <>
            <label htmlFor="window-center">
              Centre <output data-testid="window-center-value">{shown(window.center)}</output>
            </label>
            <input
              id="window-center"
              type="range"
              min={range.min}
              max={range.max}
              step={0.5}
              value={String(window.center)}
              onInput={(event: Event) => props.onWindow({ ...window, center: numberFrom(event) })}
            />
            <label htmlFor="window-width">
              Width <output data-testid="window-width-value">{shown(window.width)}</output>
            </label>
            <input
              id="window-width"
              type="range"
              min={1}
              max={range.max - range.min + 1}
              step={1}
              value={String(window.width)}
              onInput={(event: Event) => props.onWindow({ ...window, width: numberFrom(event) })}
            />
            <p class="hint" data-testid="window-units">
              In {props.units}.
            </p>
          </>
        )}
        <div class="button-row">
          <button type="button" onClick={props.onAutoWindow}>
            Auto <kbd>w</kbd>
          </button>
          <button type="button" onClick={props.onResetWindow}>
            Reset
          </button>
        </div>
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
