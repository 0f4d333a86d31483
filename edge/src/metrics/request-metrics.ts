import type { AppEnv } from "@edge/env";
import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import { matchedRoutes } from "hono/route";
import { writeRequestPoint } from "./analytics";

/** The label of requests no route matched (404, 405): raw paths would be unbounded and may carry ids. */
export const UNMATCHED_ROUTE = "(unmatched)";

/**
 * The registered pattern of the endpoint that matched (`/v1/jobs/:jobId`), whether it answered
 * or a middleware before it refused (401, 429): middleware is registered for all methods, an
 * endpoint for its own.
 */
function routePattern(c: Context): string {
  return matchedRoutes(c).findLast((route) => route.method !== "ALL")?.path ?? UNMATCHED_ROUTE;
}

/**
 * Writes an Analytics Engine data point per request (route pattern, method, status, duration),
 * for one request in `METRICS_REQUEST_SAMPLE_EVERY`, chosen at random so counts scale back by the
 * point's weight and latency quantiles stay unbiased. Needs `requestLog` before it (the logger).
 *
 * @example app.use(requestMetrics())
 */
export function requestMetrics() {
  return createMiddleware<AppEnv>(async function requestMetricsMiddleware(c, next) {
    const started = performance.now();
    await next();
    const every = c.var.config.METRICS_REQUEST_SAMPLE_EVERY;
    if (every > 1 && Math.random() * every >= 1) return;
    writeRequestPoint(
      c.env.METRICS,
      {
        route: routePattern(c),
        method: c.req.method,
        status: c.res.status,
        durationMs: Math.round((performance.now() - started) * 10) / 10,
        weight: every,
      },
      c.var.logger,
    );
  });
}
