import { createMiddleware } from "hono/factory";
import { databaseFor } from "../database";
import type { AppEnv } from "../env";

/**
 * Puts the isolate's database handle on `c.var.db`. Nothing is opened per request: statements go
 * over HTTP, and the rare interactive transaction opens and closes its own connection.
 *
 * @example router.use(database())
 */
export function database() {
  return createMiddleware<AppEnv>(async function databaseMiddleware(c, next) {
    c.set("db", databaseFor(c.var.config));
    await next();
  });
}
