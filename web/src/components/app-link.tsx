import type { Child } from "hono/jsx";
import { BASE, linkHandler } from "../router";

/** A link within the app (a path relative to /app) that navigates without reloading. */
export function AppLink({ to, children, label }: { to: string; children: Child; label?: string }) {
  return (
    <a href={`${BASE}${to}`} onClick={linkHandler(to)} aria-label={label}>
      {children}
    </a>
  );
}

/** The app path of a model's page. */
export const modelPath = (name: string) => `/models/${encodeURIComponent(name)}`;
