import { createMiddleware } from "hono/factory";
import { readConfig } from "../config";
import type { AppEnv } from "../env";

/**
 * Validates the Worker's vars and secrets (once per isolate) into `c.var.config`.
 *
 * @example app.use(loadConfig())
 */
export function loadConfig() {
  return createMiddleware<AppEnv>(async function configMiddleware(c, next) {
    c.set("config", readConfig(c.env));
    await next();
  });
}
