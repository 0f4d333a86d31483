import { errorMessage } from "@common/logger";
import type { Config } from "@edge/config";
import { databaseFor } from "@edge/database";
import type { Bindings } from "@edge/env";
import { sql } from "drizzle-orm";

export type CheckStatus = "ok" | "error" | "skipped";

export type CheckResult = {
  status: CheckStatus;
  /** A failing required dependency makes the service not ready (503). */
  required: boolean;
  latencyMs: number;
  message?: string;
};

type Probe = { required: boolean; run?: (signal: AbortSignal) => Promise<void>; skipReason?: string };

async function runProbe(probe: Probe, timeoutMs: number): Promise<CheckResult> {
  if (!probe.run) {
    return { status: "skipped", required: probe.required, latencyMs: 0, message: probe.skipReason };
  }
  const started = performance.now();
  const controller = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(new Error(`timed out after ${timeoutMs} ms`));
    }, timeoutMs);
  });
  try {
    await Promise.race([probe.run(controller.signal), timeout]);
    return { status: "ok", required: probe.required, latencyMs: elapsed(started) };
  } catch (error) {
    const message = errorMessage(error);
    return { status: "error", required: probe.required, latencyMs: elapsed(started), message };
  } finally {
    clearTimeout(timer);
  }
}

const elapsed = (started: number) => Math.round(performance.now() - started);

export type Readiness = { ready: boolean; checks: Record<string, CheckResult> };

/**
 * Probes every dependency concurrently, each bounded by the configured timeout. Inference is
 * optional: without it jobs wait in the queue, so the edge can still take uploads and requests.
 */
export async function checkReadiness(env: Bindings, config: Config): Promise<Readiness> {
  const probes: Record<string, Probe> = {
    database: {
      required: true,
      run: async () => {
        await databaseFor(config).execute(sql`select 1`);
      },
    },
    storage: {
      required: true,
      run: async () => {
        await env.IMAGES.head("health/probe");
      },
    },
    queue: {
      required: true,
      // A producer binding cannot be pinged without enqueueing; its presence is what we can check.
      run: async () => {
        if (typeof env.DETECT_QUEUE?.send !== "function") throw new Error("DETECT_QUEUE binding missing");
      },
    },
    inference: config.INFERENCE_URL
      ? {
          required: false,
          run: async (signal) => {
            const response = await fetch(new URL("/health", config.INFERENCE_URL), { signal });
            await response.body?.cancel();
            if (!response.ok) throw new Error(`answered ${response.status}`);
          },
        }
      : { required: false, skipReason: "INFERENCE_URL is not set" },
  };

  const names = Object.keys(probes);
  const results = await Promise.all(
    names.map((name) => runProbe(probes[name] as Probe, config.HEALTH_CHECK_TIMEOUT_MS)),
  );
  const checks = Object.fromEntries(names.map((name, i) => [name, results[i] as CheckResult]));
  const ready = results.every((result) => !result.required || result.status === "ok");
  return { ready, checks };
}
