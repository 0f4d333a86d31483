import { createDb, type Db } from "@db/client-worker";
import type { Config } from "./config";

/** `readConfig` returns one object per isolate and environment, so this is a per-isolate cache. */
const handles = new WeakMap<Config, Db>();

/**
 * The isolate's database handle. It holds no connection (see `createDb`), so it is made once
 * per isolate and configuration and shared by every request, queue batch and cron run.
 */
export function databaseFor(config: Config): Db {
  let db = handles.get(config);
  if (!db) {
    db = createDb({
      connectionString: config.DATABASE_URL,
      sqlEndpoint: config.DB_SQL_ENDPOINT,
      wsProxy: config.DB_WS_PROXY,
      connectTimeoutMs: config.DB_CONNECT_TIMEOUT_MS,
      queryTimeoutMs: config.DB_QUERY_TIMEOUT_MS,
    });
    handles.set(config, db);
  }
  return db;
}
