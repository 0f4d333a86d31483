import { errorMessage } from "@common/logger";
import pg from "pg";
import { readLimitedText } from "./read-limited";

export type SqlOverHttpOptions = {
  port: number;
  /** The only PostgreSQL server this endpoint connects to; connection strings naming another are refused. */
  target: { host: string; port: number };
  /** Most server connections open at once, across every database and user. */
  poolSize: number;
  /** How long a request waits for a free connection before it gets a 503 (default 5000). */
  acquireTimeoutMs?: number;
  /** Largest request body accepted (default 10 MiB). */
  maxBodyBytes?: number;
};

export type SqlOverHttp = {
  /** `http://127.0.0.1:<port>/sql`, for `neonConfig.fetchEndpoint`. */
  url: string;
  /** Connections open, busy and waited for now, the most ever open, and requests received so far. */
  stats(): { open: number; busy: number; waiting: number; peakOpen: number; requests: number };
  stop(): Promise<void>;
};

/**
 * Local stand-in for Neon's SQL-over-HTTP endpoint, what `neon()` from `@neondatabase/serverless`
 * POSTs to: one statement, or a batch run as one transaction, per request. Like Neon's pooled
 * endpoint it holds a server connection only for that statement or batch, and never opens more
 * than `poolSize`: requests beyond that queue, and get a 503 after `acquireTimeoutMs`, so tests see
 * the overload behaviour of production instead of PostgreSQL's `too many clients`.
 */
export function startSqlOverHttp(options: SqlOverHttpOptions): SqlOverHttp {
  const maxBodyBytes = options.maxBodyBytes ?? 10 * 1024 * 1024;
  const pool = new BoundedPool(options.target, options.poolSize, options.acquireTimeoutMs ?? 5000);
  /** Every request received, answered or refused: tests count the statements a Worker sends. */
  let requests = 0;
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: options.port,
    // Bun drops a request after 10 s without traffic by default; a long statement is not idle.
    idleTimeout: 0,
    async fetch(request) {
      requests++;
      try {
        return await handle(request, pool, options.target, maxBodyBytes);
      } catch (error) {
        return errorResponse(error);
      }
    },
  });
  return {
    url: `http://127.0.0.1:${server.port}/sql`,
    stats: () => ({ ...pool.stats(), requests }),
    stop: async () => {
      await server.stop(true);
      await pool.close();
    },
  };
}

/** An answer that is not a PostgreSQL error: a refused request, overload or an outage. */
class Refusal extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** SQLSTATE-like code, so callers can tell overload (53300) from outage (08006). */
    readonly code?: string,
  ) {
    super(message);
  }
}

type Login = { key: string; database: string; user: string; password: string; applicationName?: string };

type Statement = { query: string; params: (string | null)[] };

type RawResult = pg.QueryArrayResult<(string | null)[]>;

/** Keeps every value as PostgreSQL's text output; the driver runs its own type parsers on it. */
const rawText: pg.CustomTypesConfig = { getTypeParser: () => (value: string) => value };

const ISOLATION_LEVELS: Record<string, string> = {
  ReadUncommitted: "READ UNCOMMITTED",
  ReadCommitted: "READ COMMITTED",
  RepeatableRead: "REPEATABLE READ",
  Serializable: "SERIALIZABLE",
};

/** What the driver copies from a 400 answer onto its `NeonDbError`. */
const ERROR_FIELDS = [
  "code",
  "severity",
  "detail",
  "hint",
  "position",
  "internalPosition",
  "internalQuery",
  "where",
  "schema",
  "table",
  "column",
  "dataType",
  "constraint",
  "file",
  "line",
  "routine",
] as const;

async function handle(
  request: Request,
  pool: BoundedPool,
  target: SqlOverHttpOptions["target"],
  maxBodyBytes: number,
): Promise<Response> {
  if (new URL(request.url).pathname !== "/sql") {
    throw new Refusal(404, "not found: the endpoint is POST /sql");
  }
  if (request.method !== "POST") {
    return Response.json(
      { message: "method not allowed: use POST" },
      { status: 405, headers: { Allow: "POST" } },
    );
  }
  const login = parseLogin(request.headers.get("Neon-Connection-String"), target);
  if (request.headers.get("Neon-Raw-Text-Output") !== "true") {
    throw new Refusal(
      400,
      "only Neon-Raw-Text-Output: true is supported (what @neondatabase/serverless sends)",
    );
  }
  const arrayMode = request.headers.get("Neon-Array-Mode") === "true";
  const body = parseBody(
    await readLimitedText(
      request,
      maxBodyBytes,
      () => new Refusal(413, `request body larger than ${maxBodyBytes} bytes`),
    ),
  );
  const begin = Array.isArray(body) ? beginStatement(request.headers) : undefined;

  const connection = await pool.acquire(login, request.signal);
  try {
    if (!Array.isArray(body)) return Response.json(present(await execute(connection, body), arrayMode));
    await execute(connection, { query: begin ?? "BEGIN", params: [] });
    try {
      const results = [];
      for (const statement of body) results.push(present(await execute(connection, statement), arrayMode));
      await execute(connection, { query: "COMMIT", params: [] });
      return Response.json({ results });
    } catch (error) {
      await execute(connection, { query: "ROLLBACK", params: [] }).catch(() => {});
      throw error;
    }
  } finally {
    pool.release(connection);
  }
}

/** Checks the connection string names the server this endpoint fronts, so it is not an open relay. */
function parseLogin(header: string | null, target: SqlOverHttpOptions["target"]): Login {
  if (!header) throw new Refusal(400, "missing Neon-Connection-String header");
  let url: URL;
  try {
    url = new URL(header);
  } catch {
    throw new Refusal(400, "Neon-Connection-String is not a valid URL");
  }
  if (url.protocol !== "postgres:" && url.protocol !== "postgresql:") {
    throw new Refusal(400, "Neon-Connection-String must be a postgres:// or postgresql:// URL");
  }
  const host = url.hostname.toLowerCase();
  const port = url.port === "" ? 5432 : Number(url.port);
  if ((host !== target.host && host !== "localhost") || port !== target.port) {
    throw new Refusal(
      403,
      `connection string names ${host}:${port}; this endpoint only serves ${target.host}:${target.port}`,
      "28000",
    );
  }
  const database = decodeUrlPart(url.pathname.slice(1));
  const user = decodeUrlPart(url.username);
  const password = decodeUrlPart(url.password);
  if (!database || !user) throw new Refusal(400, "Neon-Connection-String must name a user and a database");
  const applicationName = url.searchParams.get("application_name") ?? undefined;
  // The password is part of the key so a wrong one cannot borrow a connection opened with the right one.
  return { key: JSON.stringify([database, user, password]), database, user, password, applicationName };
}

function decodeUrlPart(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw new Refusal(400, "Neon-Connection-String has a malformed %-escape");
  }
}

/** Reads at most `limit` bytes: the declared length is checked first, and the stream is cut off too. */
/** `{query, params}` is one statement, `{queries: [...]}` a transaction. */
function parseBody(text: string): Statement | Statement[] {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (error) {
    throw new Refusal(400, `request body is not valid JSON: ${errorMessage(error)}`);
  }
  if (typeof body !== "object" || body === null) throw new Refusal(400, "request body must be a JSON object");
  if ("queries" in body) {
    if (!Array.isArray(body.queries)) throw new Refusal(400, "queries must be an array");
    return body.queries.map((entry: unknown, index: number) => parseStatement(entry, `queries[${index}]`));
  }
  return parseStatement(body, "request body");
}

function parseStatement(entry: unknown, where: string): Statement {
  if (typeof entry !== "object" || entry === null || !("query" in entry) || typeof entry.query !== "string") {
    throw new Refusal(400, `${where} must have a string query`);
  }
  const params = "params" in entry ? entry.params : [];
  if (!Array.isArray(params)) throw new Refusal(400, `${where}.params must be an array`);
  return {
    query: entry.query,
    // The driver has already turned every value into PostgreSQL text; numbers and booleans are
    // accepted as text too. They are sent untyped, so the server infers each type from the query.
    params: params.map((value: unknown, index: number) => {
      if (value === null || typeof value === "string") return value;
      if (typeof value === "number" || typeof value === "boolean") return String(value);
      throw new Refusal(400, `${where}.params[${index}] must be a string, number, boolean or null`);
    }),
  };
}

/** BEGIN with the batch's Neon-Batch-* options; unset ones keep the server's defaults, as on Neon. */
function beginStatement(headers: Headers): string {
  const parts = ["BEGIN"];
  const isolation = headers.get("Neon-Batch-Isolation-Level");
  if (isolation !== null) {
    const level = ISOLATION_LEVELS[isolation];
    if (!level) throw new Refusal(400, `unknown Neon-Batch-Isolation-Level: ${isolation}`);
    parts.push(`ISOLATION LEVEL ${level}`);
  }
  if (headers.get("Neon-Batch-Read-Only") === "true") parts.push("READ ONLY");
  if (headers.get("Neon-Batch-Deferrable") === "true") parts.push("DEFERRABLE");
  return parts.join(" ");
}

/**
 * Runs one statement with the extended protocol, as Neon does, so a request cannot smuggle in
 * several statements. A failure that is not PostgreSQL's own answer means the connection is gone.
 */
async function execute(connection: Connection, statement: Statement): Promise<RawResult> {
  const config: pg.QueryArrayConfig & { queryMode: "extended" } = {
    text: statement.query,
    values: statement.params,
    rowMode: "array",
    types: rawText,
    queryMode: "extended",
  };
  try {
    return await connection.client.query(config);
  } catch (error) {
    if (error instanceof pg.DatabaseError) throw error;
    connection.broken = true;
    throw new Refusal(503, `connection to PostgreSQL lost: ${errorMessage(error)}`, "08006");
  }
}

/** The JSON shape Neon answers for one statement; rows stay arrays in array mode. */
function present(result: RawResult, arrayMode: boolean) {
  const fields = result.fields.map((field) => ({
    name: field.name,
    tableID: field.tableID,
    columnID: field.columnID,
    dataTypeID: field.dataTypeID,
    dataTypeSize: field.dataTypeSize,
    dataTypeModifier: field.dataTypeModifier,
    format: field.format,
  }));
  const rows = arrayMode
    ? result.rows
    : result.rows.map((row) => Object.fromEntries(fields.map((field, index) => [field.name, row[index]])));
  return { command: result.command, rowCount: result.rowCount, rows, fields, rowAsArray: arrayMode };
}

function errorResponse(error: unknown): Response {
  if (error instanceof pg.DatabaseError) {
    const body: Record<string, string> = { message: error.message };
    for (const field of ERROR_FIELDS) {
      const value = error[field];
      if (value !== undefined) body[field] = value;
    }
    return Response.json(body, { status: 400 });
  }
  if (error instanceof Refusal) {
    const body = error.code ? { message: error.message, code: error.code } : { message: error.message };
    // The driver reports any status but 400 as a server error; Retry-After tells retrying callers when.
    const headers: Record<string, string> = error.status === 503 ? { "Retry-After": "1" } : {};
    return Response.json(body, { status: error.status, headers });
  }
  return Response.json({ message: `internal error: ${errorMessage(error)}` }, { status: 500 });
}

type Connection = {
  client: pg.Client;
  key: string;
  broken: boolean;
  idleTimer?: ReturnType<typeof setTimeout>;
};

type Waiter = {
  login: Login;
  resolve(connection: Connection): void;
  reject(error: unknown): void;
  timer?: ReturnType<typeof setTimeout>;
};

/** Idle connections close after this long, so a quiet endpoint holds no server connections. */
const IDLE_TIMEOUT_MS = 10_000;

/**
 * At most `size` server connections over every (database, user, password), handed out in FIFO
 * order. When all slots are taken but some are idle connections of another database, the oldest
 * of those is closed to make room, and the new connection is opened only once it has gone.
 */
class BoundedPool {
  private readonly idle: Connection[] = [];
  private readonly waiters: Waiter[] = [];
  private readonly clients = new Set<pg.Client>();
  private open = 0;
  private busy = 0;
  private peakOpen = 0;
  private closed = false;

  constructor(
    private readonly target: SqlOverHttpOptions["target"],
    private readonly size: number,
    private readonly acquireTimeoutMs: number,
  ) {}

  stats() {
    return { open: this.open, busy: this.busy, waiting: this.waiters.length, peakOpen: this.peakOpen };
  }

  acquire(login: Login, signal: AbortSignal): Promise<Connection> {
    if (this.closed) return Promise.reject(new Refusal(503, "endpoint is shutting down", "57P01"));
    return new Promise((resolve, reject) => {
      const waiter: Waiter = { login, resolve, reject };
      this.waiters.push(waiter);
      this.pump();
      if (!this.waiters.includes(waiter)) return;
      const giveUp = (error: Refusal) => {
        const index = this.waiters.indexOf(waiter);
        if (index === -1) return;
        this.waiters.splice(index, 1);
        reject(error);
      };
      waiter.timer = setTimeout(
        () =>
          giveUp(
            new Refusal(
              503,
              `no database connection free within ${this.acquireTimeoutMs} ms (pool of ${this.size})`,
              "53300",
            ),
          ),
        this.acquireTimeoutMs,
      );
      // A caller that hung up no longer needs its place in the queue.
      signal.addEventListener("abort", () => giveUp(new Refusal(499, "client closed the request")), {
        once: true,
      });
    });
  }

  /** Returns a connection after its statement or batch; one left mid-transaction is not reused. */
  release(connection: Connection): void {
    this.busy--;
    const reusable = !this.closed && !connection.broken && connection.client.getTransactionStatus() === "I";
    if (!reusable) {
      this.discard(connection);
      return;
    }
    connection.idleTimer = setTimeout(() => {
      if (this.takeIdle(connection)) this.discard(connection);
    }, IDLE_TIMEOUT_MS);
    connection.idleTimer.unref();
    this.idle.push(connection);
    this.pump();
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const waiter of this.waiters.splice(0)) {
      clearTimeout(waiter.timer);
      waiter.reject(new Refusal(503, "endpoint is shutting down", "57P01"));
    }
    for (const connection of this.idle.splice(0)) clearTimeout(connection.idleTimer);
    await Promise.all([...this.clients].map((client) => client.end().catch(() => {})));
  }

  /** Serves queued requests in order for as long as a connection can be had. */
  private pump(): void {
    while (this.waiters.length > 0 && !this.closed) {
      const waiter = this.waiters[0] as Waiter;
      if (!this.serve(waiter)) return;
      this.waiters.shift();
      clearTimeout(waiter.timer);
    }
  }

  private serve(waiter: Waiter): boolean {
    const reusable = this.idle.findLast((connection) => connection.key === waiter.login.key);
    if (reusable) {
      this.takeIdle(reusable);
      this.busy++;
      waiter.resolve(reusable);
      return true;
    }
    let slotFree: Promise<void> = Promise.resolve();
    if (this.open < this.size) {
      this.open++;
      this.peakOpen = Math.max(this.peakOpen, this.open);
    } else {
      // The slot passes from the evicted connection to the new one, so `open` stays as it is.
      const evicted = this.idle[0];
      if (!evicted) return false;
      this.takeIdle(evicted);
      slotFree = this.retire(evicted);
    }
    this.busy++;
    slotFree
      .then(() => this.connect(waiter.login))
      .then(waiter.resolve, (error: unknown) => {
        this.open--;
        this.busy--;
        waiter.reject(error);
        this.pump();
      });
    return true;
  }

  private takeIdle(connection: Connection): boolean {
    const index = this.idle.indexOf(connection);
    if (index === -1) return false;
    this.idle.splice(index, 1);
    clearTimeout(connection.idleTimer);
    return true;
  }

  /** Closes a connection that is neither busy nor idle any more and frees its slot. */
  private discard(connection: Connection): void {
    void this.retire(connection).then(() => {
      this.open--;
      this.pump();
    });
  }

  /** Resolves once the server connection is gone, so its slot can be reused without overshooting. */
  private async retire(connection: Connection): Promise<void> {
    await connection.client.end().catch(() => {});
    this.clients.delete(connection.client);
  }

  private async connect(login: Login): Promise<Connection> {
    const client = new pg.Client({
      host: this.target.host,
      port: this.target.port,
      database: login.database,
      user: login.user,
      password: login.password,
      application_name: login.applicationName,
      connectionTimeoutMillis: this.acquireTimeoutMs,
    });
    const connection: Connection = { client, key: login.key, broken: false };
    // A dropped idle connection must not crash the process; it is simply not handed out again.
    client.on("error", () => {
      connection.broken = true;
      if (this.takeIdle(connection)) this.discard(connection);
    });
    this.clients.add(client);
    try {
      await client.connect();
    } catch (error) {
      this.clients.delete(client);
      // Login errors (bad password, no such database) are the caller's; the rest mean PostgreSQL is
      // down, starting or full, which callers should treat as an outage and retry.
      const code = error instanceof pg.DatabaseError ? (error.code ?? "") : "08006";
      if (!/^(08|53|57)/.test(code)) throw error;
      const where = `${this.target.host}:${this.target.port}`;
      throw new Refusal(503, `cannot connect to PostgreSQL at ${where}: ${errorMessage(error)}`, code);
    }
    if (this.closed) {
      await this.retire(connection);
      throw new Refusal(503, "endpoint is shutting down", "57P01");
    }
    return connection;
  }
}
