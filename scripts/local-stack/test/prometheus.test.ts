/**
 * The local stack's Prometheus: its configuration passes promtool, and a real Prometheus started
 * with it scrapes the inference service's metrics and the edge's (presenting the operations token).
 */
import { afterAll, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { prometheusExposition } from "@edge/metrics/prometheus";
import { Metrics } from "@inference/metrics";
import { readBody } from "@scripts/testing/responses";
import { z } from "zod";
import { freePort } from "../ports";
import { findPrometheus, localPrometheusConfig, startLocalPrometheus } from "../prometheus";

/** Prometheus' `GET /api/v1/targets` answer (HTTP API v1), by the fields this test reads. */
const TargetsSchema = z.object({
  status: z.literal("success"),
  data: z.object({
    activeTargets: z.array(
      z.object({ labels: z.looseObject({ job: z.string() }), health: z.enum(["up", "down", "unknown"]) }),
    ),
  }),
});

const promtoolMissing = spawnSync("promtool", ["--version"], { stdio: "ignore" }).status !== 0;
const prometheus = findPrometheus();
if (promtoolMissing || prometheus === null) {
  console.warn("prometheus/promtool not found: the local Prometheus checks are skipped");
}

const root = await mkdtemp(join(tmpdir(), "local-prometheus-"));
afterAll(() => rm(root, { recursive: true, force: true }));

test.skipIf(promtoolMissing)("the configuration is valid and loads the production alert rules", async () => {
  const tokenFile = join(root, "token");
  await writeFile(tokenFile, "operations-token");
  const configFile = join(root, "check.yml");
  await writeFile(
    configFile,
    localPrometheusConfig({
      inference: "127.0.0.1:8788",
      edge: "127.0.0.1:8787",
      operationsTokenFile: tokenFile,
    }),
  );
  const result = spawnSync("promtool", ["check", "config", configFile], { encoding: "utf8" });
  expect(`${result.stdout}${result.stderr}`).toContain("1 rule files found");
  expect(result.status).toBe(0);
});

test.skipIf(prometheus === null)(
  "Prometheus scrapes the inference service and the edge with its token",
  async () => {
    const token = "local-operations-token";
    const metrics = new Metrics({ defaultMetrics: false });
    // Stands in for both: the inference service's /metrics and the edge's bearer-protected figures.
    const server = Bun.serve({
      port: 0,
      hostname: "127.0.0.1",
      async fetch(request) {
        const { pathname } = new URL(request.url);
        if (pathname === "/metrics") return new Response(await metrics.registry.metrics());
        if (pathname !== "/internal/v1/metrics") return new Response("not found", { status: 404 });
        if (request.headers.get("authorization") !== `Bearer ${token}`) {
          return new Response("unauthorized", { status: 401 });
        }
        const { body, contentType } = await prometheusExposition({
          queued: 3,
          running: 1,
          oldestQueuedAgeSeconds: 2,
          finishedLast5m: { succeeded: 5, failed: 0 },
          deadLetteredLast1h: 0,
          webhookDeliveriesFailedLast1h: 0,
          trainings: { queued: 0, running: 0, oldestQueuedAgeSeconds: 0, failedLast1h: 0 },
          evaluations: { queued: 0, running: 0 },
        });
        return new Response(body, { headers: { "content-type": contentType } });
      },
    });
    const port = await freePort();
    const target = `127.0.0.1:${server.port}`;
    const supervised = await startLocalPrometheus({
      binary: prometheus as string,
      dataDir: join(root, "prometheus"),
      port,
      inference: target,
      edge: target,
      operationsToken: token,
      log: () => {},
    });
    try {
      const health = async () => {
        const response = await fetch(`http://127.0.0.1:${port}/api/v1/targets`);
        const { data } = await readBody(response, TargetsSchema);
        return Object.fromEntries(data.activeTargets.map((t) => [t.labels.job, t.health]));
      };
      const deadline = Date.now() + 30_000;
      let seen: Record<string, string> = {};
      while (Date.now() < deadline) {
        seen = await health().catch(() => ({}));
        if (seen.inference === "up" && seen.edge === "up") break;
        await Bun.sleep(500);
      }
      expect(seen).toEqual({ inference: "up", edge: "up" });
    } finally {
      await supervised.stop();
      server.stop(true);
    }
  },
  60_000,
);
