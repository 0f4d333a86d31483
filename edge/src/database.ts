import { createDb, type Db } from "@db/client-worker";
import type { Config } from "./config";

let cached: { key: string; db: Db } | undefined;

/**
 * The isolate's database handle. It holds no connection (see `createDb`), so it is made once
 * per isolate and configuration and shared by every request, queue batch and cron run.
 */
export function databaseFor(config: Config): Db {
  const options = {
    connectionString: config.DATABASE_URL,
    sqlEndpoint: config.DB_SQL_ENDPOINT,
    wsProxy: config.DB_WS_PROXY,
    connectTimeoutMs: config.DB_CONNECT_TIMEOUT_MS,
  };
  const key = JSON.stringify(options);
  if (cached?.key !== key) cached = { key, db: createDb(options) };
  return cached.db;
}
