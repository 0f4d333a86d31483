import { useEffect, useRef } from "hono/jsx/dom";
import { historyKey } from "./history-keys";
import { type KeyTargets, keyActions } from "./key-actions";
import { shortcutFor } from "./shortcuts";

/** The targets a page gives: a decision names the indication the keys had selected when pressed. */
export type ViewerKeyTargets = Omit<KeyTargets, "decide"> & {
  decide: ((decision: "accept" | "reject", itemId: string) => void) | null;
  /** Ctrl+Z and Ctrl+Shift+Z (or Ctrl+Y); null without a review. */
  undo: (() => void) | null;
  redo: (() => void) | null;
};

/**
 * The viewer's keyboard shortcuts. `targets` is read when a key is pressed, and the selection a
 * key makes is seen by the very next key even before the page has rendered it: "n" then "a"
 * typed 50 ms apart accepts the indication "n" moved to, not the one before. Decisions go to the
 * review queue, which sends them one at a time, so keys pressed while a save is in flight wait
 * for it instead of racing it.
 */
export function useViewerKeys(targets: ViewerKeyTargets): void {
  const latest = useRef(targets);
  latest.current = targets;
  const selection = useRef({ rendered: targets.selected, live: targets.selected });
  if (selection.current.rendered !== targets.selected) {
    selection.current = { rendered: targets.selected, live: targets.selected };
  }
  useEffect(() => {
    const listener = (event: KeyboardEvent) => {
      const page = latest.current;
      const history = historyKey(event);
      if (history) {
        event.preventDefault();
        page[history]?.();
        return;
      }
      const view = page.view.current;
      const action = shortcutFor(event);
      if (!view || !action) return;
      event.preventDefault();
      const selected = selection.current.live;
      const decide = page.decide;
      keyActions(view, {
        ...page,
        selected,
        select: (key) => {
          selection.current.live = key;
          page.select(key);
        },
        decide: decide && selected ? (decision) => decide(decision, selected) : null,
      })[action]();
    };
    addEventListener("keydown", listener);
    return () => removeEventListener("keydown", listener);
  }, []);
}
