import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const repoRoot = fileURLToPath(new URL("../..", import.meta.url));

function port(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > 65535) {
    throw new Error(`${name} must be a port number (1-65535), got "${raw}"`);
  }
  return value;
}

function count(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1)
    throw new Error(`${name} must be a positive integer, got "${raw}"`);
  return value;
}

function trainerMode(): "auto" | "off" {
  const raw = process.env.DEV_TRAINER || "auto";
  if (raw !== "auto" && raw !== "off") throw new Error(`DEV_TRAINER must be "auto" or "off", got "${raw}"`);
  return raw;
}

/** The `[triggers] crons` of a wrangler.toml's top level (none when it has no triggers). */
export function wranglerCrons(wranglerToml: string): string[] {
  const parsed = Bun.TOML.parse(wranglerToml) as { triggers?: { crons?: unknown } };
  const crons = parsed.triggers?.crons ?? [];
  if (!Array.isArray(crons) || !crons.every((cron) => typeof cron === "string")) {
    throw new Error("wrangler.toml: [triggers] crons must be a list of cron expressions");
  }
  return crons;
}

const fixedIn = (field: string, max: number) => /^\d+$/.test(field) && Number(field) < max;
const stepOf = (field: string, range: number) => {
  const step = /^\*\/(\d+)$/.exec(field)?.[1];
  return step !== undefined && Number(step) > 0 && range % Number(step) === 0 ? Number(step) : undefined;
};

/**
 * Seconds between firings of a cron expression that fires on a fixed period: every minute, every
 * N minutes (a minute step N dividing 60, any hour), every N hours at a fixed minute (an hour step
 * N dividing 24, or any hour) or daily (`M H * * *`); day, month and weekday fields all `*`.
 * Anything else throws: set `DEV_CRON_INTERVAL_SECONDS` instead.
 */
export function cronPeriodSeconds(cron: string): number {
  const fields = cron.trim().split(/\s+/);
  const [minute = "", hour = "", ...days] = fields;
  if (fields.length === 5 && days.every((field) => field === "*")) {
    if (hour === "*" && minute === "*") return 60;
    const minutes = stepOf(minute, 60);
    if (hour === "*" && minutes !== undefined) return minutes * 60;
    if (fixedIn(minute, 60)) {
      if (hour === "*") return 3600;
      const hours = stepOf(hour, 24);
      if (hours !== undefined) return hours * 3600;
      if (fixedIn(hour, 24)) return 86_400;
    }
  }
  throw new Error(
    `cannot tell the period of the cron "${cron}": set DEV_CRON_INTERVAL_SECONDS to the seconds between its runs`,
  );
}

/** Settings of the local stack; every one can be overridden from the environment. */
export function readLocalSettings() {
  const dataDir = process.env.DEV_DATA_DIR || join(repoRoot, ".data");
  return {
    dataDir,
    edgePort: port("DEV_EDGE_PORT", 8787),
    postgresPort: port("DEV_POSTGRES_PORT", 54329),
    wsProxyPort: port("DEV_WS_PROXY_PORT", 54330),
    sqlEndpointPort: port("DEV_SQL_ENDPOINT_PORT", 54331),
    /** Server connections the SQL-over-HTTP endpoint may hold, like the pool size of Neon's pooler. */
    dbPoolSize: count("DEV_DB_POOL_SIZE", 10),
    /** Server connections the WebSocket proxy (interactive transactions) may hold. */
    dbWsMaxConnections: count("DEV_DB_WS_MAX_CONNECTIONS", 5),
    inferencePort: port("DEV_INFERENCE_PORT", 8788),
    queuesApiPort: port("DEV_QUEUES_API_PORT", 54332),
    /** The local stand-in of R2's S3 API, which serves presigned image URLs from the local bucket. */
    r2S3Port: port("DEV_R2_S3_PORT", 54333),
    /** Prometheus, started only when the `prometheus` executable is on PATH. */
    prometheusPort: port("DEV_PROMETHEUS_PORT", 9090),
    /** Models the local inference service serves (its own default when unset). */
    modelsDir: process.env.INFERENCE_MODELS_DIR || join(repoRoot, "inference/models"),
    /** Ctrl-C: how long each service may take after SIGTERM before it is killed. */
    stopGraceMs: count("DEV_STOP_GRACE_MS", 10_000),
    /** Restart delay of a crashed service, doubling per crash in a row up to the maximum. */
    restartDelayMs: count("DEV_RESTART_DELAY_MS", 500),
    restartMaxDelayMs: count("DEV_RESTART_MAX_DELAY_MS", 4_000),
    /** Health probes of the Worker and the inference service: interval, timeout, failures in a row. */
    healthIntervalMs: count("DEV_HEALTH_INTERVAL_MS", 1_000),
    healthTimeoutMs: count("DEV_HEALTH_TIMEOUT_MS", 2_000),
    healthFailures: count("DEV_HEALTH_FAILURES", 3),
    /**
     * Seconds between the stack's runs of the Worker's cron triggers (`wrangler dev` fires none);
     * unset: each cron's own period (every 5 minutes: 300).
     */
    cronIntervalSeconds: process.env.DEV_CRON_INTERVAL_SECONDS
      ? count("DEV_CRON_INTERVAL_SECONDS", 1)
      : undefined,
    /** The trainer service: `auto` starts it when `trainerPython` can import its packages; `off` never. */
    trainer: trainerMode(),
    /** The interpreter the trainer service runs on (Debian's, which has python3-torch). */
    trainerPython: process.env.PYTHON || "/usr/bin/python3",
    database: process.env.DEV_DATABASE || "defects",
    logLevel: process.env.LOG_LEVEL || "info",
  };
}

export type LocalSettings = ReturnType<typeof readLocalSettings>;
