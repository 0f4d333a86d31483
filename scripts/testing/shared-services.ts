import { chmod, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Server } from "bun";
import { generateJwtKeySet } from "../local-stack/jwt-keys";
import { freePort } from "../local-stack/ports";
import { type LocalPostgres, startPostgres } from "../local-stack/postgres";
import { generateLocalSecrets, type LocalSecrets } from "../local-stack/secrets";
import { type SqlOverHttp, startSqlOverHttp } from "../local-stack/sql-over-http";
import { startWsProxy } from "../local-stack/ws-proxy";

export type SharedServices = {
  pg: LocalPostgres;
  /** `host:port` of the WebSocket proxy in front of `pg`, for the Worker's interactive transactions. */
  wsProxy: string;
  /** The SQL-over-HTTP endpoint in front of `pg`, for the Worker's one-shot statements. */
  sqlEndpoint: SqlOverHttp;
  /** The Worker's `JWT_KEYS` for this run. */
  jwtKeys: string;
  /** Service credentials and the image URL signing key for this run. */
  secrets: LocalSecrets;
};

type State = { services: SharedServices; proxy: Server<unknown>; root: string };

/** Server connections the SQL endpoint may hold, shared by every test Worker of the run. */
const TEST_DB_POOL_SIZE = 10;
/** Server connections interactive transactions may hold through the WebSocket proxy. */
const TEST_DB_WS_MAX_CONNECTIONS = 5;

let starting: Promise<State> | undefined;

async function start(): Promise<State> {
  const root = await mkdtemp(join(tmpdir(), "defects-test-"));
  await chmod(root, 0o755);
  const pg = await startPostgres({
    dataDir: join(root, "postgres"),
    port: await freePort(),
    ephemeral: true,
    log: (line) => process.env.TEST_VERBOSE && console.log(`[postgres] ${line}`),
  });
  const proxyPort = await freePort();
  const proxy = startWsProxy({
    port: proxyPort,
    target: { host: "127.0.0.1", port: pg.port },
    maxConnections: TEST_DB_WS_MAX_CONNECTIONS,
  });
  const sqlEndpoint = startSqlOverHttp({
    port: await freePort(),
    target: { host: "127.0.0.1", port: pg.port },
    poolSize: TEST_DB_POOL_SIZE,
  });
  const jwtKeys = await generateJwtKeySet();
  return {
    services: {
      pg,
      wsProxy: `127.0.0.1:${proxyPort}`,
      sqlEndpoint,
      jwtKeys,
      secrets: generateLocalSecrets(),
    },
    proxy,
    root,
  };
}

/**
 * One PostgreSQL server and its WebSocket proxy for the whole test run, started on first use
 * (pure unit tests never pay for it). Test files get their own database on it.
 */
export async function sharedServices(): Promise<SharedServices> {
  starting ??= start();
  return (await starting).services;
}

export async function stopSharedServices(): Promise<void> {
  if (!starting) return;
  const { services, proxy, root } = await starting;
  starting = undefined;
  proxy.stop(true);
  await services.sqlEndpoint.stop();
  await services.pg.stop();
  await rm(root, { recursive: true, force: true });
}
