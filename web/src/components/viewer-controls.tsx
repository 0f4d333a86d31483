import { CAPTION_MODES, type CaptionMode } from "../viewer/caption-layout";
import { classColour } from "../viewer/detections";
import type { FitKind } from "../viewer/geometry";
import type { ModelFigures } from "../viewer/model-figures";
import { keyLabel, SHORTCUTS } from "../viewer/shortcuts";
import { ConfidenceExplanation } from "./confidence-explanation";
import { WindowControls, type WindowControlsProps } from "./window-controls";

type Props = WindowControlsProps & {
  minScore: number;
  onMinScore(value: number): void;
  /** The confidence the job ran with: it kept no detection below it. */
  jobConf: number;
  /** The model's accuracy figures, to say what a score means. */
  figures: ModelFigures | null;
  /** The selected indication's class and score, if it has one. */
  selectedScore: { label: string; score: number } | null;
  classes: Array<{ classId: number; label: string; count: number }>;
  hidden: ReadonlySet<number>;
  onToggleClass(classId: number): void;
  onZoom(factor: number): void;
  onFit(kind: FitKind): void;
  onStep(direction: 1 | -1): void;
  captions: CaptionMode;
  onCaptions(mode: CaptionMode): void;
};

const numberFrom = (event: Event) => Number((event.target as HTMLInputElement).value);

/** Filters, window/level and the view: everything changes the picture live, nothing is saved. */
export function ViewerControls(props: Props) {
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
      <ConfidenceExplanation
        figures={props.figures}
        minScore={Math.max(props.minScore, props.jobConf)}
        selected={props.selectedScore}
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
      <WindowControls
        window={props.window}
        range={props.range}
        units={props.units}
        presets={props.presets}
        onWindow={props.onWindow}
        onAutoWindow={props.onAutoWindow}
        onResetWindow={props.onResetWindow}
      />
      <ViewButtons {...props} />
      <ShortcutHelp />
    </div>
  );
}

/** Zoom, the three fits, stepping along a strip and how boxes are captioned. */
function ViewButtons(props: Pick<Props, "onZoom" | "onFit" | "onStep" | "captions" | "onCaptions">) {
  return (
    <fieldset>
      <legend>View</legend>
      <div class="button-row">
        <button type="button" onClick={() => props.onZoom(1.25)} aria-label="Zoom in">
          +
        </button>
        <button type="button" onClick={() => props.onZoom(0.8)} aria-label="Zoom out">
          −
        </button>
        <button type="button" onClick={() => props.onFit("page")}>
          Fit <kbd>0</kbd>
        </button>
        <button type="button" onClick={() => props.onFit("width")}>
          Fit width <kbd>f</kbd>
        </button>
        <button type="button" onClick={() => props.onFit("height")}>
          Fit height <kbd>h</kbd>
        </button>
      </div>
      <fieldset class="button-row plain" aria-label="Step along the film">
        <button type="button" onClick={() => props.onStep(-1)} aria-label="Previous screen along the film">
          ◀ Back <kbd>,</kbd>
        </button>
        <button type="button" onClick={() => props.onStep(1)} aria-label="Next screen along the film">
          Forward <kbd>.</kbd> ▶
        </button>
      </fieldset>
      <fieldset class="button-row plain">
        <legend>Captions</legend>
        {CAPTION_MODES.map(({ mode, label }) => (
          <label class="check">
            <input
              type="radio"
              name="captions"
              value={mode}
              checked={props.captions === mode}
              onChange={() => props.onCaptions(mode)}
            />
            {label}
          </label>
        ))}
      </fieldset>
    </fieldset>
  );
}

/** Every shortcut with what it does, one per row: keys on the left, their meaning beside them. */
function ShortcutHelp() {
  return (
    <details class="shortcut-help">
      <summary>Keyboard shortcuts</summary>
      <dl class="shortcuts" data-testid="shortcut-help">
        {SHORTCUTS.map((shortcut) => (
          <div class="shortcut">
            <dt>
              {shortcut.keys.map((key) => (
                <kbd title={key}>{keyLabel(key)}</kbd>
              ))}
            </dt>
            <dd>{shortcut.help}</dd>
          </div>
        ))}
      </dl>
      <p class="hint">Right-drag on the film sets window/level: across for width, up and down for level.</p>
    </details>
  );
}
