import type { WindowLevel } from "@common/imaging/intensity";
import {
  clampWindow,
  maxWidth,
  type PresetWindow,
  sliderStep,
  type ValueRange,
} from "../viewer/window-presets";

/** Window/level state and actions, as the viewer hands them to its controls. */
export type WindowControlsProps = {
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

/** One of the window's two numbers: a slider over its range and a field for the exact value. */
function SliderEntry(props: {
  part: keyof WindowLevel;
  label: string;
  min: number;
  max: number;
  step: number;
  value: number;
  onSlide(value: number): void;
  onTyped(event: Event): void;
}) {
  const id = `window-${props.part}`;
  return (
    <>
      <label htmlFor={id}>
        {props.label} <output data-testid={`${id}-value`}>{shown(props.value)}</output>
      </label>
      <div class="slider-entry">
        <input
          id={id}
          type="range"
          min={props.min}
          max={props.max}
          step={props.step}
          value={String(props.value)}
          onInput={(event: Event) => props.onSlide(numberFrom(event))}
        />
        <input
          type="number"
          aria-label={`${props.label} value`}
          data-testid={`${id}-entry`}
          min={props.min}
          max={props.max}
          value={shown(props.value)}
          onChange={props.onTyped}
        />
      </div>
    </>
  );
}

/**
 * Window/level: sliders over the film's own values, exact numbers, presets from its histogram.
 * Right-dragging on the film does the same (`FilmView`).
 */
export function WindowControls(props: WindowControlsProps) {
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
      <SliderEntry
        part="center"
        label="Level"
        min={range.min}
        max={range.max}
        step={step}
        value={window.center}
        onSlide={(value) => set({ center: value })}
        onTyped={typed("center")}
      />
      <SliderEntry
        part="width"
        label="Width"
        min={1}
        max={maxWidth(range)}
        step={step}
        value={window.width}
        onSlide={(value) => set({ width: value })}
        onTyped={typed("width")}
      />
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
