/**
 * `npm run deploy:smoke -- --url <INFERENCE_EDGE_URL> [--timeout-seconds 120]`
 *
 * The check after a deploy: `/health/ready` must answer 200 (database, storage, queue and, when
 * configured, inference), retried until the timeout while a fresh deployment settles. With
 * `OPERATIONS_TOKEN` in the environment, `/internal/v1/backlog` must also answer 200 to it,
 * which proves the operations credential the autoscaler uses. Exit status 0 or 1.
 */

import { parseArgs } from "node:util";
import { errorMessage } from "@common/logger";
import { ReadinessSchema } from "@edge/routes/health";
import { BacklogSchema } from "@edge/routes/internal/backlog";

export type SmokeOptions = {
  url: string;
  timeoutMs: number;
  operationsToken?: string;
  /** Pause between readiness attempts. */
  intervalMs?: number;
  say?: (line: string) => void;
};

/** Runs the smoke check; resolves true when everything answered as it should. */
export async function smokeCheck(options: SmokeOptions): Promise<boolean> {
  const say = options.say ?? console.log;
  const base = options.url.replace(/\/+$/, "");
  const deadline = Date.now() + options.timeoutMs;
  let ready = false;
  for (let attempt = 1; ; attempt++) {
    try {
      const response = await fetch(`${base}/health/ready`, { signal: AbortSignal.timeout(10_000) });
      const body = ReadinessSchema.safeParse(await response.json().catch(() => null));
      const checks = body.success
        ? Object.entries(body.data.checks)
            .map(([name, check]) => `${name} ${check.status}${check.message ? ` (${check.message})` : ""}`)
            .join(", ")
        : "no readiness body";
      say(`readiness, attempt ${attempt}: ${response.status} ${checks}`);
      ready = response.status === 200 && body.success && body.data.status === "ready";
    } catch (error) {
      say(`readiness, attempt ${attempt}: ${errorMessage(error)}`);
    }
    if (ready || Date.now() + (options.intervalMs ?? 5_000) > deadline) break;
    await Bun.sleep(options.intervalMs ?? 5_000);
  }
  if (!ready) return false;
  if (!options.operationsToken) {
    say("backlog: skipped (no OPERATIONS_TOKEN)");
    return true;
  }
  const response = await fetch(`${base}/internal/v1/backlog`, {
    headers: { Authorization: `Bearer ${options.operationsToken}` },
    signal: AbortSignal.timeout(10_000),
  });
  const backlog = BacklogSchema.safeParse(await response.json().catch(() => null));
  say(`backlog: ${response.status} ${backlog.success ? JSON.stringify(backlog.data) : ""}`.trimEnd());
  return response.status === 200 && backlog.success;
}

if (import.meta.main) {
  const { values } = parseArgs({
    options: { url: { type: "string" }, "timeout-seconds": { type: "string", default: "120" } },
    strict: true,
  });
  const timeoutSeconds = Number(values["timeout-seconds"]);
  if (!values.url || !URL.canParse(values.url) || !(timeoutSeconds >= 0)) {
    console.error("usage: npm run deploy:smoke -- --url <edge URL> [--timeout-seconds <n>]");
    process.exit(2);
  }
  const ok = await smokeCheck({
    url: values.url,
    timeoutMs: timeoutSeconds * 1000,
    operationsToken: process.env.OPERATIONS_TOKEN || undefined,
  });
  console.log(ok ? "smoke check passed" : "smoke check FAILED");
  process.exit(ok ? 0 : 1);
}
