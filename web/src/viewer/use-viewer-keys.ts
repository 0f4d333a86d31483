import { useEffect, useRef } from "hono/jsx/dom";
import { type KeyTargets, keyActions } from "./key-actions";
import { shortcutFor } from "./shortcuts";

/**
 * The viewer's keyboard shortcuts. `targets` is read when a key is pressed, so a key pressed
 * right after a render sees that render's selection and filters, never an earlier one's.
 */
export function useViewerKeys(targets: KeyTargets): void {
  const latest = useRef(targets);
  latest.current = targets;
  useEffect(() => {
    const listener = (event: KeyboardEvent) => {
      const view = latest.current.view.current;
      const action = shortcutFor(event);
      if (!view || !action) return;
      event.preventDefault();
      keyActions(view, latest.current)[action]();
    };
    addEventListener("keydown", listener);
    return () => removeEventListener("keydown", listener);
  }, []);
}
