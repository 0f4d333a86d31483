import type { AppEnv } from "@edge/env";
import { ApiError } from "@edge/errors";
import { Hono } from "hono";

/** The web app's entry document in the static assets (edge/public/app/index.html). */
const APP_ENTRY = "/app/";

/**
 * The inspector's web app. Its files are static assets, served before the Worker runs; only
 * paths that match no file reach these routes: the bare origin, and the app's deep links
 * (`/app/jobs/<id>`), which get the entry document so the client-side router can take over.
 * Every other unmatched path (`/v1/...`, `/internal/...`) keeps its JSON 404. Not part of the
 * API, so not in the OpenAPI document.
 */
export const webAppRouter = new Hono<AppEnv>()
  .get("/", (c) => c.redirect(APP_ENTRY, 302))
  .get("/app", (c) => c.redirect(APP_ENTRY, 301))
  // Browsers ask for /favicon.ico on any page at the origin (the API docs, a JSON answer).
  .get("/favicon.ico", (c) => c.redirect(`${APP_ENTRY}favicon.svg`, 301))
  .get("/app/*", async (c) => {
    // A missing file (a stale hashed bundle name) is a 404, not the page: browsers would run
    // HTML as a script otherwise.
    if (/\.[a-z0-9]+$/i.test(c.req.path)) throw new ApiError("not_found", "No such file");
    const entry = await c.env.ASSETS.fetch(new URL(APP_ENTRY, c.req.url));
    if (!entry.ok) {
      await entry.body?.cancel();
      return c.text("The web app is not built: run `npm run build:web`.", 503);
    }
    // The asset server gave the entry its headers (`_headers`, written by the web build): the
    // page's policy, with frame-ancestors, goes with it wherever it is served from.
    const policy = entry.headers.get("Content-Security-Policy");
    // A few hundred bytes: read whole rather than streamed.
    return c.html(await entry.text(), 200, {
      // Always revalidated: it names the current hashed bundles.
      "Cache-Control": "no-cache",
      ...(policy === null ? {} : { "Content-Security-Policy": policy }),
    });
  });
