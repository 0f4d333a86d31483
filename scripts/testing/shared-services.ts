import { chmod, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Server } from "bun";
import { generateJwtKeySet } from "../local-stack/jwt-keys";
import { freePort } from "../local-stack/ports";
import { type LocalPostgres, startPostgres } from "../local-stack/postgres";
import { generateLocalSecrets, type LocalSecrets } from "../local-stack/secrets";
import { startWsProxy } from "../local-stack/ws-proxy";

export type SharedServices = {
  pg: LocalPostgres;
  /** `host:port` of the WebSocket proxy in front of `pg`, for the Worker's Neon driver. */
  wsProxy: string;
  /** The Worker's `JWT_KEYS` for this run. */
  jwtKeys: string;
  /** Service credentials and the image URL signing key for this run. */
  secrets: LocalSecrets;
};

type State = { services: SharedServices; proxy: Server<unknown>; root: string };

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
  const proxy = startWsProxy({ port: proxyPort, target: { host: "127.0.0.1", port: pg.port } });
  const jwtKeys = await generateJwtKeySet();
  return {
    services: { pg, wsProxy: `127.0.0.1:${proxyPort}`, jwtKeys, secrets: generateLocalSecrets() },
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
  await services.pg.stop();
  await rm(root, { recursive: true, force: true });
}
