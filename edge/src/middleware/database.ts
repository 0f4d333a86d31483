import { createMiddleware } from "hono/factory";
import { createDb } from "../../../db/client-worker";
import type { AppEnv } from "../env";

/**
 * Opens a per-request database pool as `c.var.db` and closes it after the response is sent.
 * Creating the pool does not connect; the first query does.
 *
 * @example router.use(database())
 */
export function database() {
  return createMiddleware<AppEnv>(async function databaseMiddleware(c, next) {
    const { db, close } = createDb({
      connectionString: c.var.config.DATABASE_URL,
      wsProxy: c.var.config.DB_WS_PROXY,
    });
    c.set("db", db);
    try {
      await next();
    } finally {
      c.executionCtx.waitUntil(close());
    }
  });
}
