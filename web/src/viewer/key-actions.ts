import type { ShortcutAction } from "./shortcuts";

const PAN_STEP = 60;
const ZOOM_STEP = 1.25;
const SCORE_STEP = 0.05;

/** What the shortcuts need of the film view (`FilmView`). */
export type KeyView = {
  zoomBy(factor: number): void;
  fit(): void;
  fitWidth(): void;
  fitHeight(): void;
  /** One screen along the film's long axis. */
  step(direction: 1 | -1): void;
  panBy(dx: number, dy: number): void;
};

/** What the shortcuts act on, as the latest render left it. */
export type KeyTargets = {
  /** The film view, read when a key is pressed: it exists once the canvas is mounted. */
  view: { readonly current: KeyView | null };
  /** Keys of the indications shown, in list order. */
  order: string[];
  selected: string | null;
  select(key: string | null): void;
  setMinScore(change: (value: number) => number): void;
  autoWindow(): void;
  setDrawing(change: (drawing: boolean) => boolean): void;
  /** Decides on the selected indication; null without a review or a selection. */
  decide: ((decision: "accept" | "reject") => void) | null;
  /** Whether there is a review to draw boxes into. */
  reviewable: boolean;
  /** Undo and redo of review changes; null or absent without a review. */
  undo?: (() => void) | null;
  redo?: (() => void) | null;
};

const stepScore = (value: number, delta: number) =>
  Math.min(1, Math.max(0, Math.round((value + delta) * 100) / 100));

/** What each shortcut does to the viewer. */
export function keyActions(view: KeyView, targets: KeyTargets): Record<ShortcutAction, () => void> {
  const { order, selected, select } = targets;
  const at = selected ? order.indexOf(selected) : -1;
  return {
    "zoom-in": () => view.zoomBy(ZOOM_STEP),
    "zoom-out": () => view.zoomBy(1 / ZOOM_STEP),
    fit: () => view.fit(),
    "fit-width": () => view.fitWidth(),
    "fit-height": () => view.fitHeight(),
    "step-forward": () => view.step(1),
    "step-back": () => view.step(-1),
    "pan-left": () => view.panBy(PAN_STEP, 0),
    "pan-right": () => view.panBy(-PAN_STEP, 0),
    "pan-up": () => view.panBy(0, PAN_STEP),
    "pan-down": () => view.panBy(0, -PAN_STEP),
    "confidence-down": () => targets.setMinScore((value) => stepScore(value, -SCORE_STEP)),
    "confidence-up": () => targets.setMinScore((value) => stepScore(value, SCORE_STEP)),
    "auto-window": () => targets.autoWindow(),
    next: () => order.length && select(order[(at + 1) % order.length] ?? null),
    previous: () => order.length && select(order[(at - 1 + order.length) % order.length] ?? null),
    deselect: () => {
      select(null);
      targets.setDrawing(() => false);
    },
    draw: () => targets.reviewable && targets.setDrawing((drawing) => !drawing),
    accept: () => targets.decide?.("accept"),
    reject: () => targets.decide?.("reject"),
    undo: () => targets.undo?.(),
    redo: () => targets.redo?.(),
  };
}
