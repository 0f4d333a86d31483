import type { WindowLevel } from "@common/imaging/intensity";
import {
  clampWindow,
  maxWidth,
  type PresetWindow,
  sliderStep,
  type ValueRange,
} from "../viewer/window-presets";

type Props = {
  /** The window in the film's own values; null until the film is decoded. */
  window: WindowLevel | null;
  /** The values the film holds: the sliders' and fields' bounds. */
  range: ValueRange | null;
  /** What the window's numbers are, e.g. "16-bit stored values". */
  units: string;
  presets: PresetWindow[];
  onWindow(value: WindowLevel): void;
  onAutoWindow(): void;
  onResetWindow(): void;
};

const numberFrom = (event: Event) => Number((event.target as HTMLInputElement).value);
const same = (a: WindowLevel, b: WindowLevel) => a.center === b.center && a.width === b.width;
const shown = (value: number) => (Number.isInteger(value) ? String(value) : value.toFixed(1));

/**
 * Window/level: sliders over the film's own values, exact numbers, presets from its histogram.
 * Right-dragging on the film does the same (`FilmView`).
 */
export function WindowControls(props: Props) {
  const { window, range } = props;
  if (!window || !range) return null;
  const step = sliderStep(range);
  const set = (change: Partial<WindowLevel>) => props.onWindow(clampWindow({ ...window, ...change }, range));
  // A typed number is applied when the field is left or Enter is pressed, and only if it is one.
  const typed = (key: keyof WindowLevel) => (event: Event) => {
    const value = numberFrom(event);
    if (Number.isFinite(value) && (event.target as HTMLInputElement).value !== "") set({ [key]: value });
  };
  return (
    <fieldset class="window-controls">
      <legend>Window / level</legend>
      <label htmlFor="window-center">
        Level <output data-testid="window-center-value">{shown(window.center)}</output>
      </label>
      <div class="slider-entry">
        <input
          id="window-center"
          type="range"
          min={range.min}
          max={range.max}
          step={step}
          value={String(window.center)}
          onInput={(event: Event) => set({ center: numberFrom(event) })}
        />
        <input
          type="number"
          aria-label="Level value"
          data-testid="window-center-entry"
          min={range.min}
          max={range.max}
          value={shown(window.center)}
          onChange={typed("center")}
        />
      </div>
      <label htmlFor="window-width">
        Width <output data-testid="window-width-value">{shown(window.width)}</output>
      </label>
      <div class="slider-entry">
        <input
          id="window-width"
          type="range"
          min={1}
          max={maxWidth(range)}
          step={step}
          value={String(window.width)}
          onInput={(event: Event) => set({ width: numberFrom(event) })}
        />
        <input
          type="number"
          aria-label="Width value"
          data-testid="window-width-entry"
          min={1}
          max={maxWidth(range)}
          value={shown(window.width)}
          onChange={typed("width")}
        />
      </div>
      <p class="hint" data-testid="window-units">
        In {props.units}; the film holds {shown(range.min)}–{shown(range.max)}. Right-drag on the film: across
        for width, up and down for level.
      </p>
      <fieldset class="button-row plain" aria-label="Window presets">
        <button type="button" onClick={props.onAutoWindow} title="The middle 98 % of the film's values">
          Auto <kbd>w</kbd>
        </button>
        {props.presets.map((preset) => (
          <button
            type="button"
            title={preset.help}
            aria-pressed={same(preset.window, window) ? "true" : "false"}
            onClick={() => props.onWindow(preset.window)}
          >
            {preset.label}
          </button>
        ))}
        <button type="button" onClick={props.onResetWindow} title="The window the film opened with">
          Reset
        </button>
      </fieldset>
    </fieldset>
  );
}
