import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { stringify } from "yaml";
import { repoRoot } from "./settings";
import { type Supervised, supervise } from "./supervise";

/** The production alert rules, loaded as they are: the local stack shows what would fire. */
const ALERT_RULES = join(repoRoot, "deploy/prometheus/alerts.yml");

export type LocalPrometheusTargets = {
  /** `host:port` of the inference service. */
  inference: string;
  /** `host:port` of the Worker (plain HTTP locally). */
  edge: string;
  /** File holding the Worker's OPERATIONS_TOKEN, presented to its /internal/v1/metrics. */
  operationsTokenFile: string;
};

/**
 * The local stack's scrape configuration: the same jobs and labels as
 * deploy/prometheus/prometheus.yml (so the alert rules and the Grafana dashboard work unchanged),
 * with fixed local targets instead of cluster discovery, and a short interval, since scraping
 * on the same machine is nearly free.
 */
export function localPrometheusConfig(targets: LocalPrometheusTargets): string {
  return stringify({
    global: { scrape_interval: "5s", evaluation_interval: "5s" },
    rule_files: [ALERT_RULES],
    scrape_configs: [
      {
        job_name: "inference",
        metrics_path: "/metrics",
        static_configs: [{ targets: [targets.inference], labels: { namespace: "local" } }],
      },
      {
        job_name: "edge",
        scheme: "http",
        metrics_path: "/internal/v1/metrics",
        authorization: { type: "Bearer", credentials_file: targets.operationsTokenFile },
        static_configs: [{ targets: [targets.edge], labels: { environment: "development" } }],
      },
    ],
  });
}

/** The `prometheus` executable on PATH, or null: the local stack runs without it. */
export function findPrometheus(): string | null {
  return Bun.which("prometheus");
}

export type LocalPrometheusOptions = LocalPrometheusTargets & {
  binary: string;
  /** Config, token and time series live here (under the git-ignored data folder). */
  dataDir: string;
  port: number;
  log: (line: string) => void;
};

/** Writes the configuration and starts Prometheus on 127.0.0.1, restarted if it crashes. */
export async function startLocalPrometheus(
  options: Omit<LocalPrometheusOptions, "operationsTokenFile"> & { operationsToken: string },
): Promise<Supervised> {
  await mkdir(options.dataDir, { recursive: true });
  const operationsTokenFile = join(options.dataDir, "operations-token");
  await writeFile(operationsTokenFile, options.operationsToken, { mode: 0o600 });
  const configFile = join(options.dataDir, "prometheus.yml");
  await writeFile(
    configFile,
    localPrometheusConfig({ inference: options.inference, edge: options.edge, operationsTokenFile }),
  );
  return supervise({
    name: "prometheus",
    command: options.binary,
    args: [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${join(options.dataDir, "data")}`,
      // Development data: two days is plenty and keeps .data/ small.
      "--storage.tsdb.retention.time=2d",
      `--web.listen-address=127.0.0.1:${options.port}`,
      // Its start-up chatter would drown the stack's own lines; problems still show.
      "--log.level=warn",
    ],
    cwd: options.dataDir,
    env: process.env,
    log: options.log,
  });
}
