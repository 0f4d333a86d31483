/**
 * Per-request cost of authentication and rate limiting in workerd, and the cost of one
 * argon2id hash. Each case is compared with a baseline route measured in the same run.
 *
 * With `--concurrency N`, each case also runs as N closed loops for `--seconds` (N requests
 * always in flight): throughput per case next to the baseline route's, which shows costs that
 * appear only under concurrency (a call that every request waits on in turn).
 *
 *   npm run bench:auth [-- --iterations 400] [-- --concurrency 64 --seconds 5]
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { apiKeys, users } from "@db/schema";
import { generateApiKey } from "@edge/auth/api-keys";
import { forgeAccessToken } from "@scripts/testing/auth-fixtures";
import { stopSharedServices } from "@scripts/testing/shared-services";
import { startTestWorker } from "@scripts/testing/test-worker";
import { median, ms, percentile, printTable, sample } from "../stats";

/**
 * Reads are never refused here, yet counted as in production: a 60 s window as the default
 * `RATE_LIMIT_READ` has, so each isolate takes a lease of about a second of it at a time.
 */
const BENCH_READ_LIMIT = "100000000/60s";
const { values } = parseArgs({
  options: {
    iterations: { type: "string", default: "400" },
    concurrency: { type: "string" },
    seconds: { type: "string", default: "5" },
  },
});
const iterations = Number(values.iterations);
const concurrency = values.concurrency === undefined ? undefined : Number(values.concurrency);
const seconds = Number(values.seconds);

/** `callers` loops sending `fn` back to back for `seconds`: requests per second and latencies. */
async function closedLoop(fn: () => Promise<unknown>, callers: number) {
  const latencies: number[] = [];
  const started = performance.now();
  const endAt = started + seconds * 1000;
  await Promise.all(
    Array.from({ length: callers }, async () => {
      while (performance.now() < endAt) {
        const sentAt = performance.now();
        await fn();
        latencies.push(performance.now() - sentAt);
      }
    }),
  );
  return { perSecond: latencies.length / ((performance.now() - started) / 1000), latencies };
}

function loadAverage(): string {
  try {
    return readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
  } catch {
    return "unknown";
  }
}

const worker = await startTestWorker({
  entry: "scripts/bench/auth/bench-worker.ts",
  vars: { RATE_LIMIT_READ: BENCH_READ_LIMIT, LOG_LEVEL: "error" },
});
try {
  const [user] = await worker.db
    .insert(users)
    .values({ email: "bench@example.com", passwordHash: "$argon2id$unused" })
    .returning();
  if (!user) throw new Error("no user");
  const key = await generateApiKey();
  await worker.db
    .insert(apiKeys)
    .values({ userId: user.id, name: "bench", prefix: key.prefix, keyHash: key.hash, scopes: ["jobs:read"] });
  const jwt = await forgeAccessToken({ claims: { sub: user.id, exp: Math.floor(Date.now() / 1000) + 3600 } });

  const get = (path: string, credential?: string) => async () => {
    const response = await worker.fetch(
      path,
      credential ? { headers: { Authorization: `Bearer ${credential}` } } : {},
    );
    if (response.status !== 204) throw new Error(`${path}: ${response.status} ${await response.text()}`);
  };
  const routes: Array<[string, () => Promise<void>]> = [
    ["baseline (middleware only)", get("/baseline")],
    ["database: select 1 over SQL-over-HTTP (for reference)", get("/database")],
    ["JWT: verify only (cached key)", get("/jwt-verify", jwt)],
    ["JWT: authenticate (as GET /v1/me does)", get("/authenticated", jwt)],
    ["API key: authenticate (as GET /v1/me does)", get("/authenticated", key.key)],
    ["rate-limit check (one caller)", get("/rate-limited")],
  ];

  const cases: Array<[string, number[]]> = [];
  for (const [name, fn] of routes) cases.push([name, await sample(fn, iterations)]);
  const argon2 = await sample(get("/argon2"), Math.max(10, Math.floor(iterations / 20)), 3);

  const base = median(cases[0]?.[1] ?? []);
  console.log(
    `\nworkerd via Miniflare, ${iterations} sequential requests per case, milliseconds ` +
      `(load average ${loadAverage()})\n`,
  );
  printTable(
    ["case", "median", "p90", "overhead vs baseline (median)", "ratio"],
    cases.map(([name, samples]) => [
      name,
      ms(median(samples)),
      ms(percentile(samples, 90)),
      ms(median(samples) - base),
      `${(median(samples) / base).toFixed(2)}x`,
    ]),
  );
  console.log(
    `\nargon2id (m=19 MiB, t=2, p=1), one hash per request: median ${ms(median(argon2))} ms, ` +
      `${ms(median(argon2) - base)} ms over baseline (${argon2.length} requests)`,
  );

  if (concurrency) {
    const loads: Array<[string, Awaited<ReturnType<typeof closedLoop>>]> = [];
    // The baseline again at the end shows how much the machine drifted during the run.
    for (const [name, fn] of [...routes, ["baseline again (drift)", get("/baseline")] as const]) {
      await sample(fn, 0, 50);
      loads.push([name, await closedLoop(fn, concurrency)]);
    }
    const basePerSecond = loads[0]?.[1].perSecond ?? Number.NaN;
    console.log(
      `\n${concurrency} requests in flight per case, ${seconds} s each (load average ${loadAverage()})\n`,
    );
    printTable(
      ["case", "req/s", "vs baseline", "p50 ms", "p99 ms"],
      loads.map(([name, { perSecond, latencies }]) => [
        name,
        perSecond.toFixed(0),
        `${(perSecond / basePerSecond).toFixed(2)}x`,
        ms(percentile(latencies, 50)),
        ms(percentile(latencies, 99)),
      ]),
    );
  }
} finally {
  await worker.dispose();
  await stopSharedServices();
}
