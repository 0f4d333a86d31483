/** The viewer's keyboard shortcuts: one table drives both the handler and the help list. */
export type ShortcutAction =
  | "zoom-in"
  | "zoom-out"
  | "fit"
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
  | "reject";

export const SHORTCUTS: Array<{ keys: string[]; action: ShortcutAction; help: string }> = [
  { keys: ["+", "="], action: "zoom-in", help: "Zoom in" },
  { keys: ["-"], action: "zoom-out", help: "Zoom out" },
  { keys: ["0"], action: "fit", help: "Fit the image" },
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
];

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
  if (tag === "INPUT" && target?.type !== "range" && target?.type !== "checkbox") return null;
  // Arrow keys move a focused slider; only the canvas and buttons hand them to panning.
  if (tag === "INPUT" && event.key in ARROWS) return null;
  if (event.key in ARROWS) return ARROWS[event.key] as ShortcutAction;
  return SHORTCUTS.find((shortcut) => shortcut.keys.includes(event.key))?.action ?? null;
}
