/** The viewer's keyboard shortcuts: one table drives both the handler and the help list. */
export type ShortcutAction =
  | "zoom-in"
  | "zoom-out"
  | "fit"
  | "fit-width"
  | "fit-height"
  | "step-forward"
  | "step-back"
  | "pan-left"
  | "pan-right"
  | "pan-up"
  | "pan-down"
  | "confidence-down"
  | "confidence-up"
  | "auto-window"
  | "next"
  | "previous"
  | "deselect"
  | "draw"
  | "accept"
  | "reject"
  | "undo"
  | "redo";

export const SHORTCUTS: Array<{ keys: string[]; action: ShortcutAction; help: string }> = [
  { keys: ["+", "="], action: "zoom-in", help: "Zoom in" },
  { keys: ["-"], action: "zoom-out", help: "Zoom out" },
  { keys: ["0"], action: "fit", help: "Fit the whole film" },
  { keys: ["f"], action: "fit-width", help: "Fit the film's width" },
  { keys: ["h"], action: "fit-height", help: "Fit the film's height (weld strips)" },
  { keys: ["PageDown", "."], action: "step-forward", help: "Next screen along the strip" },
  { keys: ["PageUp", ","], action: "step-back", help: "Previous screen along the strip" },
  { keys: ["ArrowLeft", "ArrowRight", "ArrowUp", "ArrowDown"], action: "pan-left", help: "Pan" },
  { keys: ["["], action: "confidence-down", help: "Lower the confidence threshold" },
  { keys: ["]"], action: "confidence-up", help: "Raise the confidence threshold" },
  { keys: ["w"], action: "auto-window", help: "Automatic window/level" },
  { keys: ["n"], action: "next", help: "Next detection" },
  { keys: ["p"], action: "previous", help: "Previous detection" },
  { keys: ["Escape"], action: "deselect", help: "Deselect" },
  { keys: ["d"], action: "draw", help: "Draw a missed defect" },
  { keys: ["a"], action: "accept", help: "Accept the selected detection" },
  { keys: ["r"], action: "reject", help: "Reject the selected detection" },
  // Read by `historyKey` (use-viewer-keys), which also takes Cmd on a Mac and Ctrl+Y.
  { keys: ["Ctrl+Z"], action: "undo", help: "Undo the last review change" },
  { keys: ["Ctrl+Shift+Z"], action: "redo", help: "Redo the change undone" },
];

/** How a key is written in the help: arrows as arrows, so the list fits the side panel. */
const KEY_LABELS: Record<string, string> = {
  ArrowLeft: "←",
  ArrowRight: "→",
  ArrowUp: "↑",
  ArrowDown: "↓",
  PageDown: "PgDn",
  PageUp: "PgUp",
  Escape: "Esc",
};
export const keyLabel = (key: string) => KEY_LABELS[key] ?? key;

/** Keys a focused slider uses itself. */
const SLIDER_KEYS = new Set(["PageUp", "PageDown", "Home", "End"]);

const ARROWS: Record<string, ShortcutAction> = {
  ArrowLeft: "pan-left",
  ArrowRight: "pan-right",
  ArrowUp: "pan-up",
  ArrowDown: "pan-down",
};

/** The action of a key press, or null; typing in a field never triggers a shortcut. */
export function shortcutFor(event: {
  key: string;
  ctrlKey: boolean;
  metaKey: boolean;
  altKey: boolean;
  target: unknown;
}) {
  if (event.ctrlKey || event.metaKey || event.altKey) return null;
  const target = event.target as { tagName?: string; type?: string } | null;
  const tag = target?.tagName;
  if (tag === "TEXTAREA" || tag === "SELECT") return null;
  if (tag === "INPUT" && !["range", "checkbox", "radio"].includes(target?.type ?? "")) return null;
  // Arrow and page keys move a focused slider; only the canvas and buttons hand them to the view.
  if (tag === "INPUT" && (event.key in ARROWS || SLIDER_KEYS.has(event.key))) return null;
  if (event.key in ARROWS) return ARROWS[event.key] as ShortcutAction;
  return SHORTCUTS.find((shortcut) => shortcut.keys.includes(event.key))?.action ?? null;
}
