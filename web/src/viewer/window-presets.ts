import {
  type PercentileRange,
  percentileBounds,
  type Rescale,
  type WindowLevel,
  windowFromBounds,
} from "@common/imaging/intensity";

/** Modality values, lowest and highest. */
export type ValueRange = { min: number; max: number };

/**
 * A window chosen from the film's histogram. The percentiles say which share of the film's pixels
 * fall below the window's low and high ends, so a preset adapts to each film's own exposure.
 */
export type WindowPreset = { id: string; label: string; help: string; percentiles: PercentileRange };

/** Besides "Auto" (`AUTO_PERCENTILES`, key `w`) and the film's own window ("Reset"). */
export const WINDOW_PRESETS: readonly WindowPreset[] = [
  {
    id: "full",
    label: "Full range",
    help: "From the film's lowest value to its highest: nothing clipped",
    percentiles: { low: 0, high: 100 },
  },
  {
    id: "contrast",
    label: "High contrast (5–95 %)",
    help: "The middle 90 %: faint indications stand out, the extremes clip",
    percentiles: { low: 5, high: 95 },
  },
  {
    id: "low-half",
    label: "Low values (0.5–50 %)",
    help: "The lower half of the film's values spread over the whole grey scale",
    percentiles: { low: 0.5, high: 50 },
  },
  {
    id: "high-half",
    label: "High values (50–99.5 %)",
    help: "The upper half of the film's values spread over the whole grey scale",
    percentiles: { low: 50, high: 99.5 },
  },
];

const IDENTITY: Rescale = { slope: 1, intercept: 0 };

/** A preset as it applies to one film. */
export type PresetWindow = Omit<WindowPreset, "percentiles"> & { window: WindowLevel };

/** The window each preset gives on a film with this histogram of stored values. */
export function presetWindows(histogram: ArrayLike<number>, rescale?: Rescale | null): PresetWindow[] {
  return WINDOW_PRESETS.map(({ id, label, help, percentiles }) => {
    const { low, high } = percentileBounds(histogram, percentiles, rescale ?? IDENTITY);
    return { id, label, help, window: windowFromBounds(low, high) };
  });
}

/**
 * The modality values the film holds (its lowest and highest stored value, rescaled): the bounds
 * of the window controls, so a 14-bit film in a 16-bit file does not spread its values over a
 * slider sized for 65,536.
 */
export function filmValueRange(histogram: ArrayLike<number>, rescale?: Rescale | null): ValueRange {
  const { low, high } = percentileBounds(histogram, { low: 0, high: 100 }, rescale ?? IDENTITY);
  return { min: low, max: high };
}

const NICE = [1, 2, 5];

/**
 * A slider step of about a thousandth of the range, rounded to 1, 2 or 5 × 10ⁿ (never below one
 * stored value's worth): an arrow key moves the window a visible but small amount, and the
 * numeric fields take exact values.
 */
export function sliderStep(range: ValueRange, unit = 1): number {
  const wanted = Math.max(unit, (range.max - range.min) / 1000);
  const power = 10 ** Math.floor(Math.log10(wanted));
  const nice = NICE.map((factor) => factor * power).find((step) => step >= wanted) ?? 10 * power;
  return nice;
}

/** The widest window the controls offer: the film's whole range. */
export const maxWidth = (range: ValueRange) => range.max - range.min + 1;

/** A window kept within the controls' bounds: centre inside the range, width 1 to the whole range. */
export function clampWindow(window: WindowLevel, range: ValueRange): WindowLevel {
  return {
    center: Math.min(range.max, Math.max(range.min, window.center)),
    width: Math.min(maxWidth(range), Math.max(1, window.width)),
  };
}

/**
 * Right-drag window/level, as radiology viewers do: right widens the window, down raises the level
 * (the picture darkens). Dragging across the whole canvas changes either by the film's whole range.
 */
export function dragWindow(
  start: WindowLevel,
  move: { dx: number; dy: number },
  canvas: { width: number; height: number },
  range: ValueRange,
): WindowLevel {
  const span = maxWidth(range);
  // Tenths are finer than a pointer can aim and keep the fields readable.
  const tenth = (value: number) => Math.round(value * 10) / 10;
  return clampWindow(
    {
      center: tenth(start.center + (move.dy / Math.max(1, canvas.height)) * span),
      width: tenth(start.width + (move.dx / Math.max(1, canvas.width)) * span),
    },
    range,
  );
}
