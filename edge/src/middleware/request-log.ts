import { createLogger } from "@common/logger";
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../env";

/**
 * Gives each request a logger bound to its request and trace ids and writes one access-log
 * line when the response is ready. Needs `requestId`, `traceContext` and `config` before it.
 *
 * @example app.use(requestLog())
 */
export function requestLog() {
  return createMiddleware<AppEnv>(async function requestLogMiddleware(c, next) {
    const started = performance.now();
    const logger = createLogger(c.var.config.LOG_LEVEL, {
      requestId: c.var.requestId,
      traceId: c.var.trace.traceId,
    });
    c.set("logger", logger);
    await next();
    const status = c.res.status;
    // A 503 is a deliberate refusal (overload, a dependency down) logged where it happens; only
    // other 5xx are errors of this service.
    const level = status === 503 ? "warn" : status >= 500 ? "error" : "info";
    logger[level]("request", {
      method: c.req.method,
      path: c.req.path,
      status,
      durationMs: Math.round((performance.now() - started) * 10) / 10,
    });
  });
}
