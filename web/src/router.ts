import { useEffect, useState } from "hono/jsx/dom";

/** The app lives under /app/; the Worker serves index.html for every path below it. */
export const BASE = "/app";

const subscribers = new Set<() => void>();

export function currentPath(): string {
  const path = location.pathname.startsWith(BASE) ? location.pathname.slice(BASE.length) : "/";
  return path === "" ? "/" : path;
}

/** Client-side navigation within the app (a path relative to /app). */
export function navigate(path: string, options: { replace?: boolean } = {}): void {
  const url = `${BASE}${path}`;
  if (options.replace) history.replaceState(null, "", url);
  else history.pushState(null, "", url);
  for (const notify of subscribers) notify();
}

addEventListener("popstate", () => {
  for (const notify of subscribers) notify();
});

/** The current app path and query; re-renders on navigation. */
export function useRoute(): { path: string; query: URLSearchParams } {
  const [, setTick] = useState(0);
  useEffect(() => {
    const notify = () => setTick((tick) => tick + 1);
    subscribers.add(notify);
    return () => subscribers.delete(notify);
  }, []);
  return { path: currentPath(), query: new URLSearchParams(location.search) };
}

/** A link that navigates without reloading the page. */
export function linkHandler(path: string) {
  return (event: MouseEvent) => {
    if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey) return;
    event.preventDefault();
    navigate(path);
  };
}
