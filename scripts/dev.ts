/**
 * Starts the whole system locally: PostgreSQL (embedded), migrations, the WebSocket proxy the
 * Worker's database driver goes through, and the Worker in workerd via `wrangler dev` with
 * local R2 / Queues / Durable Objects. State lives in .data/ and survives restarts.
 * Ctrl-C stops every child process.
 */
import { spawn } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { migrateDatabase } from "../db/migrate";
import { localJwtKeySet } from "./local-stack/jwt-keys";
import { assertPortFree } from "./local-stack/ports";
import { ensureDatabase, type LocalPostgres, startPostgres } from "./local-stack/postgres";
import { localSecrets } from "./local-stack/secrets";
import { readLocalSettings, repoRoot } from "./local-stack/settings";
import { vendorAssets } from "./local-stack/vendor-assets";
import { startWsProxy } from "./local-stack/ws-proxy";

const settings = readLocalSettings();
const say = (line: string) => console.log(`[dev] ${line}`);

const stops: Array<() => Promise<void> | void> = [];
let stopping = false;

async function shutdown(code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    say("stopping…");
    for (const stop of stops.reverse()) {
      try {
        await stop();
      } catch (error) {
        console.error(error);
      }
    }
  }
  process.exit(code);
}
process.on("SIGINT", () => void shutdown(0));
process.on("SIGTERM", () => void shutdown(0));

async function waitForHttp(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const response = await fetch(url);
      await response.body?.cancel();
      return;
    } catch {
      await Bun.sleep(250);
    }
  }
  throw new Error(`${url} did not answer within ${timeoutMs / 1000} s`);
}

try {
  await assertPortFree(settings.edgePort, "edge Worker", "DEV_EDGE_PORT");
  await assertPortFree(settings.postgresPort, "PostgreSQL", "DEV_POSTGRES_PORT");
  await assertPortFree(settings.wsProxyPort, "database WebSocket proxy", "DEV_WS_PROXY_PORT");
  await vendorAssets();

  say(
    `starting PostgreSQL on 127.0.0.1:${settings.postgresPort} (data in ${join(settings.dataDir, "postgres")})`,
  );
  const pg: LocalPostgres = await startPostgres({
    dataDir: join(settings.dataDir, "postgres"),
    port: settings.postgresPort,
    log: (line) => process.env.DEV_VERBOSE && console.log(`[postgres] ${line}`),
  });
  stops.push(() => pg.stop());
  await ensureDatabase(pg, settings.database);
  const databaseUrl = pg.url(settings.database);
  await migrateDatabase(databaseUrl);
  say("migrations applied");

  const proxy = startWsProxy({
    port: settings.wsProxyPort,
    target: { host: "127.0.0.1", port: settings.postgresPort },
  });
  stops.push(() => proxy.stop(true));

  const jwtKeys = await localJwtKeySet(join(settings.dataDir, "jwt-keys.json"));
  const secrets = await localSecrets(join(settings.dataDir, "secrets.json"));
  const edge = `http://127.0.0.1:${settings.edgePort}`;
  const envFile = join(settings.dataDir, "dev.env");
  await writeFile(
    envFile,
    [
      "APP_ENV=development",
      `LOG_LEVEL=${settings.logLevel}`,
      `DATABASE_URL=${databaseUrl}`,
      `DB_WS_PROXY=127.0.0.1:${settings.wsProxyPort}`,
      `JWT_KEYS=${jwtKeys}`,
      `EDGE_PUBLIC_URL=${edge}`,
      `SERVICE_TOKEN=${secrets.serviceToken}`,
      `INFERENCE_TOKEN=${secrets.inferenceToken}`,
      `IMAGE_URL_SIGNING_KEY=${secrets.imageUrlSigningKey}`,
      `CORS_ORIGINS=http://localhost:${settings.edgePort},http://127.0.0.1:${settings.edgePort}`,
    ].join("\n"),
    { mode: 0o600 },
  );

  // Own process group, so stopping it also stops workerd underneath.
  const wrangler = spawn(
    join(repoRoot, "node_modules/.bin/wrangler"),
    [
      "dev",
      "--ip=127.0.0.1",
      `--port=${settings.edgePort}`,
      `--persist-to=${join(settings.dataDir, "wrangler")}`,
      `--env-file=${envFile}`,
      "--show-interactive-dev-session=false",
    ],
    {
      cwd: repoRoot,
      stdio: ["ignore", "inherit", "inherit"],
      detached: true,
      // Offline by design: no Request.cf download, no telemetry.
      env: { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_SEND_METRICS: "false" },
    },
  );
  stops.push(
    () =>
      new Promise<void>((resolve) => {
        if (wrangler.exitCode !== null || !wrangler.pid) return resolve();
        wrangler.once("exit", () => resolve());
        process.kill(-wrangler.pid, "SIGTERM");
      }),
  );
  wrangler.once("exit", (code) => {
    if (!stopping) {
      console.error(`[dev] wrangler exited (${code}); stopping the stack`);
      void shutdown(code || 1);
    }
  });

  await waitForHttp(`${edge}/health`, 60_000);
  say("ready:");
  say(`  API          ${edge}`);
  say(`  readiness    ${edge}/health/ready`);
  say(`  API docs     ${edge}/docs`);
  say(`  OpenAPI      ${edge}/openapi.json`);
  say(`  PostgreSQL   ${databaseUrl}`);
  say("Ctrl-C stops everything.");
} catch (error) {
  console.error(`[dev] ${error instanceof Error ? error.message : String(error)}`);
  await shutdown(1);
}
