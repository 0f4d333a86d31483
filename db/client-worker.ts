import { neonConfig, Pool } from "@neondatabase/serverless";
import { drizzle } from "drizzle-orm/neon-serverless";
import * as schema from "./schema";

export type WorkerDbOptions = {
  connectionString: string;
  /**
   * `host:port` of a plain WebSocket-to-TCP proxy (local development and tests). When set, the
   * driver talks unencrypted WebSocket to it instead of Neon's TLS endpoint.
   */
  wsProxy?: string;
  /** Fail a connection attempt after this long instead of waiting on a dead server. */
  connectTimeoutMs?: number;
};

/**
 * Database for one Worker request: a Neon `Pool` over WebSockets. Pools must not outlive the
 * request that opened them (Workers forbid sharing I/O across requests), so callers close it
 * once the response is sent, typically with `ctx.waitUntil(close())`.
 */
export function createDb(options: WorkerDbOptions) {
  if (options.wsProxy) {
    neonConfig.wsProxy = `${options.wsProxy}/v2`;
    neonConfig.useSecureWebSocket = false;
    neonConfig.pipelineTLS = false;
    neonConfig.pipelineConnect = false;
  }
  const pool = new Pool({
    connectionString: options.connectionString,
    connectionTimeoutMillis: options.connectTimeoutMs,
  });
  // An idle client whose socket dies emits 'error' on the pool; without a listener that would
  // surface as an uncaught exception in the isolate.
  pool.on("error", () => {});
  const db = drizzle({ client: pool, schema, casing: "snake_case" });
  return { db, close: () => pool.end() };
}

export type Db = ReturnType<typeof createDb>["db"];
