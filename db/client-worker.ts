import { Client, neon, neonConfig } from "@neondatabase/serverless";
import { drizzle as drizzleHttp } from "drizzle-orm/neon-http";
import { drizzle as drizzleWebSocket } from "drizzle-orm/neon-serverless";
import type { PgTransactionConfig } from "drizzle-orm/pg-core";
import * as schema from "./schema";

export type WorkerDbOptions = {
  /** Postgres connection string; in production Neon's pooled (`-pooler`) endpoint. */
  connectionString: string;
  /**
   * URL of a local stand-in of Neon's SQL-over-HTTP endpoint (local stack and tests). Unset in
   * production, where the driver derives Neon's endpoint from the connection string's host.
   */
  sqlEndpoint?: string;
  /**
   * `host:port` of a plain WebSocket-to-TCP proxy (local stack and tests). When set, interactive
   * transactions talk unencrypted WebSocket to it instead of Neon's TLS endpoint.
   */
  wsProxy?: string;
  /** Fail a WebSocket connection attempt after this long instead of waiting on a dead server. */
  connectTimeoutMs?: number;
  /**
   * Abandon an HTTP statement (or batch) whose answer has not come after this long, so an endpoint
   * that accepts a request and never answers cannot hold a Worker request open.
   */
  queryTimeoutMs?: number;
};

const drizzleOptions = { schema, casing: "snake_case" } as const;

function pointDriverAt(options: WorkerDbOptions): void {
  if (options.sqlEndpoint) neonConfig.fetchEndpoint = options.sqlEndpoint;
  const { queryTimeoutMs } = options;
  if (queryTimeoutMs !== undefined) {
    // The driver takes one fetch for every HTTP statement; each call gets its own deadline.
    neonConfig.fetchFunction = (input: RequestInfo | URL, init?: RequestInit) => {
      const deadline = AbortSignal.timeout(queryTimeoutMs);
      return fetch(input, {
        ...init,
        signal: init?.signal ? AbortSignal.any([init.signal, deadline]) : deadline,
      });
    };
  }
  if (options.wsProxy) {
    neonConfig.wsProxy = `${options.wsProxy}/v2`;
    neonConfig.useSecureWebSocket = false;
    neonConfig.pipelineTLS = false;
    neonConfig.pipelineConnect = false;
  }
}

/**
 * The database as a Worker uses it, holding no connection between statements:
 * - every ordinary statement is one HTTPS request to Neon's SQL-over-HTTP endpoint (pooled by
 *   Neon), so a request never pays for a connection start-up and client concurrency never
 *   turns into server connections;
 * - statements that must commit together without reading in between go in `db.batch([...])`,
 *   one non-interactive transaction over the same endpoint;
 * - `db.interactiveTransaction(tx => ...)` is for the few, rare places that read, decide and
 *   write under locks: it opens one WebSocket connection for that transaction and closes it when
 *   the transaction ends. Nothing that runs per job uses it: the claim and the result callback are
 *   single statements (data-modifying CTEs) or batches, which no overload can leave holding a
 *   connection. (neon-http's own `transaction` is unsupported and throws.)
 *
 * Creating it is cheap and opens nothing; it holds no I/O object, so one per isolate serves
 * every request.
 */
export function createDb(options: WorkerDbOptions) {
  pointDriverAt(options);
  const db = drizzleHttp({ client: neon(options.connectionString), ...drizzleOptions });

  async function interactiveTransaction<T>(
    work: (tx: Tx) => Promise<T>,
    config?: PgTransactionConfig,
  ): Promise<T> {
    pointDriverAt(options);
    const client = new Client({
      connectionString: options.connectionString,
      connectionTimeoutMillis: options.connectTimeoutMs,
    });
    // A socket that dies after the transaction emits 'error'; without a listener that would
    // surface as an uncaught exception in the isolate.
    client.on("error", () => {});
    // A failed WebSocket rejects with a bare ErrorEvent, which Hono's error handler never sees (it
    // takes Errors only): wrap it so it is reported, and mapped to 503, like any database failure.
    await client.connect().catch((cause: unknown) => {
      throw cause instanceof Error ? cause : new Error("database WebSocket connection failed", { cause });
    });
    try {
      return await drizzleWebSocket({ client, ...drizzleOptions }).transaction(work, config);
    } finally {
      await client.end().catch(() => {});
    }
  }

  return Object.assign(db, { interactiveTransaction });
}

export type Db = ReturnType<typeof createDb>;

type WebSocketDb = ReturnType<typeof drizzleWebSocket<typeof schema>>;
/** An open interactive transaction. */
export type Tx = Parameters<Parameters<WebSocketDb["transaction"]>[0]>[0];
