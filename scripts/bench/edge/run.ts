/**
 * Open-loop throughput and latency of the edge's authenticated reads in workerd, next to
 * `GET /health` (the runtime's floor) and a plain baseline doing the same work: a minimal
 * `Bun.serve` that verifies the ES256 access token with `jose` and looks the user up by id through
 * a persistent `postgres` (postgres.js) pool of 10, against the same database.
 *
 * Requests are launched on a fixed schedule whatever the answers do, and each latency is measured
 * from its scheduled start, so a slow server is charged for the requests it delays (no
 * coordinated omission). At most MAX_IN_FLIGHT requests are open per target; launches beyond that
 * are dropped and counted as errors. Achieved req/s is 2xx answers over the run's length (the
 * schedule, or until the last 2xx answer when the target fell behind).
 *
 * The load generator shares this process with the harness's SQL-over-HTTP endpoint and WebSocket
 * proxy; the baseline server runs in a child process, as workerd does. A per-process CPU table
 * (from /proc) shows which of them was busy.
 *
 * With `--concurrency N` it runs closed loops instead: N requests always in flight per target, each
 * sent as soon as the previous one answered, for the same seconds. That measures the most each
 * target serves with N callers waiting (throughput and its ratio to `/health`, not a schedule).
 *
 *   npm run bench:edge [-- --rates 100,300,1000 --seconds 5]
 * `--rounds R` repeats every target R times, interleaved, and summarises the medians and spread.
 *
 *   npm run bench:edge -- --concurrency 64 --seconds 10 --rounds 3
 */
import { readdirSync, readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { apiKeys, users } from "@db/schema";
import { generateApiKey } from "@edge/auth/api-keys";
import { forgeAccessToken, tokenDefaults } from "@scripts/testing/auth-fixtures";
import { sharedServices, stopSharedServices } from "@scripts/testing/shared-services";
import { startTestWorker } from "@scripts/testing/test-worker";
import { createLocalJWKSet, type JSONWebKeySet, jwtVerify } from "jose";
import postgres from "postgres";
import { ms, percentile, printTable } from "../stats";

/**
 * Reads are never refused here, yet counted as in production: a 60 s window as the default
 * `RATE_LIMIT_READ` has, so each isolate takes a lease of about a second of it at a time.
 */
const BENCH_READ_LIMIT = "100000000/60s";
/** Open requests per target beyond which scheduled launches are dropped. */
const MAX_IN_FLIGHT = 2000;
/** A request still unanswered after this long counts as an error (keeps every run bounded). */
const REQUEST_TIMEOUT_MS = 30_000;
/** Requests (8 at a time) sent to each target before each measured run. */
const WARMUP_REQUESTS = 200;
/** Connections Bun's fetch may open at once; its default (256) would queue requests in the client. */
const CLIENT_MAX_CONNECTIONS = "4096";
const SAMPLER_APP = "bench-sampler";
const BASELINE_APP = "bench-baseline";

const { values } = parseArgs({
  options: {
    rates: { type: "string", default: "100,300,1000" },
    seconds: { type: "string", default: "5" },
    concurrency: { type: "string" },
    rounds: { type: "string", default: "1" },
    "serve-baseline": { type: "boolean", default: false },
  },
});

// ---------------------------------------------------------------------------------------------
// The baseline: what the edge's `GET /v1/me` does, in the plainest long-running server.
// Runs in its own process (as workerd does), started by `main` with `--serve-baseline`.

async function serveBaseline(): Promise<void> {
  const databaseUrl = requiredEnv("BENCH_BASELINE_DATABASE_URL");
  const keys = createLocalJWKSet(JSON.parse(requiredEnv("BENCH_BASELINE_JWKS")) as JSONWebKeySet);
  const sql = postgres(databaseUrl, {
    max: 10,
    idle_timeout: 0,
    onnotice: () => {},
    connection: { application_name: BASELINE_APP },
  });
  const unauthorized = () => Response.json({ error: "unauthorized" }, { status: 401 });
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(request) {
      if (new URL(request.url).pathname !== "/v1/me")
        return Response.json({ error: "not found" }, { status: 404 });
      const token = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.get("authorization") ?? "")?.[1];
      if (!token) return unauthorized();
      let subject: string;
      try {
        const { payload } = await jwtVerify(token, keys, {
          algorithms: ["ES256"],
          typ: "at+jwt",
          issuer: tokenDefaults.issuer,
          audience: tokenDefaults.audience,
          requiredClaims: ["sub", "exp", "iat", "nbf", "jti"],
          clockTolerance: 5,
        });
        subject = payload.sub as string;
      } catch {
        return unauthorized();
      }
      const [user] = await sql<
        Array<{ id: string; email: string; role: string; disabled_at: Date | null; created_at: Date }>
      >`select id, email, role, disabled_at, created_at from users where id = ${subject}`;
      if (!user || user.disabled_at) return unauthorized();
      return Response.json({
        user: { id: user.id, email: user.email, role: user.role, createdAt: user.created_at.toISOString() },
        authenticatedWith: "token",
      });
    },
  });
  console.log(`listening ${server.port}`);
  // Runs until the parent kills it; stop cleanly on SIGTERM so the pool's connections close.
  process.on("SIGTERM", async () => {
    await server.stop(true);
    await sql.end({ timeout: 2 });
    process.exit(0);
  });
}

function requiredEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

async function startBaseline(databaseUrl: string, jwtKeys: string) {
  const publicKeys = (JSON.parse(jwtKeys) as { keys: Array<Record<string, string>> }).keys.map(
    ({ d: _private, ...publicPart }) => publicPart,
  );
  const child = Bun.spawn([process.execPath, import.meta.path, "--serve-baseline"], {
    env: {
      ...process.env,
      BENCH_BASELINE_DATABASE_URL: databaseUrl,
      BENCH_BASELINE_JWKS: JSON.stringify({ keys: publicKeys }),
    },
    stdout: "pipe",
    stderr: "inherit",
  });
  const reader = child.stdout.getReader();
  let text = "";
  const deadline = Date.now() + 30_000;
  while (!/listening (\d+)/.test(text)) {
    if (Date.now() > deadline) throw new Error("baseline server did not start within 30 s");
    const { done, value } = await reader.read();
    if (done) throw new Error(`baseline server exited: ${text}`);
    text += new TextDecoder().decode(value);
  }
  reader.releaseLock();
  const port = Number(/listening (\d+)/.exec(text)?.[1]);
  return {
    pid: child.pid,
    origin: `http://127.0.0.1:${port}`,
    stop: async () => {
      child.kill("SIGTERM");
      await Promise.race([child.exited, Bun.sleep(5000)]);
      if (child.exitCode === null) child.kill("SIGKILL");
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Load generation.

type Target = {
  name: string;
  url: string;
  headers: Record<string, string>;
  kind: "health" | "edge" | "baseline";
};

type RunResult = {
  target: Target;
  rate: number;
  scheduled: number;
  ok: number;
  dropped: number;
  /** Non-2xx answers by status, plus "timeout" / "network". */
  failures: Map<string, number>;
  /** First body of each failure kind, as evidence. */
  failureSamples: Map<string, string>;
  /** Milliseconds from scheduled start to the end of the body, 2xx answers only. */
  latencies: number[];
  achieved: number;
  /** Sampled peaks while this target ran: the SQL endpoint's open connections, and PostgreSQL
   * backends on the benchmark database of the Worker (through the endpoint and the WebSocket
   * proxy) and of the baseline's pool. */
  peakEndpointOpen: number;
  peakPgEdge: number;
  peakPgBaseline: number;
  /** Cores busy on average from the first launch to the last answer, by process. */
  cores: CpuTimes | undefined;
};

type ConnectionSampler = {
  start(): void;
  stop(): Promise<{ peakEndpointOpen: number; peakPgEdge: number; peakPgBaseline: number }>;
};

async function consume(response: Response): Promise<string> {
  return await response.text();
}

async function warmUp(target: Target): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next++ < WARMUP_REQUESTS) {
      const response = await fetch(target.url, {
        headers: target.headers,
        signal: AbortSignal.timeout(10_000),
      });
      const body = await consume(response);
      if (!response.ok)
        throw new Error(`warm-up of ${target.name}: ${response.status} ${body.slice(0, 300)}`);
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
}

async function openLoop(
  target: Target,
  rate: number,
  seconds: number,
  sampler: ConnectionSampler,
  readCpu: () => CpuTimes | undefined,
): Promise<RunResult> {
  const total = Math.round(rate * seconds);
  const intervalMs = 1000 / rate;
  const latencies: number[] = [];
  const failures = new Map<string, number>();
  const failureSamples = new Map<string, string>();
  const fail = (kind: string, sample: string) => {
    failures.set(kind, (failures.get(kind) ?? 0) + 1);
    if (!failureSamples.has(kind)) failureSamples.set(kind, sample.slice(0, 300));
  };
  const pending = new Set<Promise<void>>();
  let dropped = 0;
  let lastOkAt = 0;

  const launch = (scheduledAt: number) => {
    if (pending.size >= MAX_IN_FLIGHT) {
      dropped++;
      return;
    }
    const request: Promise<void> = fetch(target.url, {
      headers: target.headers,
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    })
      .then(async (response) => {
        const body = await consume(response);
        const doneAt = performance.now();
        if (response.ok) {
          latencies.push(doneAt - scheduledAt);
          lastOkAt = Math.max(lastOkAt, doneAt);
        } else fail(String(response.status), body);
      })
      .catch((error: Error) => fail(error.name === "TimeoutError" ? "timeout" : "network", String(error)))
      .finally(() => pending.delete(request));
    pending.add(request);
  };

  sampler.start();
  const cpuBefore = readCpu();
  const startAt = performance.now() + 5;
  let next = 0;
  while (next < total) {
    const now = performance.now();
    while (next < total && startAt + next * intervalMs <= now) {
      launch(startAt + next * intervalMs);
      next++;
    }
    if (next < total)
      await Bun.sleep(Math.max(0, Math.min(2, startAt + next * intervalMs - performance.now())));
  }
  // Every request ends by REQUEST_TIMEOUT_MS at the latest.
  while (pending.size > 0) await Promise.all([...pending]);
  const wallS = (performance.now() - startAt) / 1000;
  const cpuAfter = readCpu();
  const peaks = await sampler.stop();
  const cores = coresBusy(cpuBefore, cpuAfter, wallS);

  const ok = latencies.length;
  const elapsedS = Math.max(seconds, (lastOkAt - startAt) / 1000);
  return {
    target,
    rate,
    scheduled: total,
    ok,
    dropped,
    failures,
    failureSamples,
    latencies,
    achieved: ok / elapsedS,
    cores,
    ...peaks,
  };
}

/**
 * Closed loop: `concurrency` callers, each sending its next request when the previous answered,
 * for `seconds`. Latency counts from each request's send; achieved req/s is 2xx answers per
 * second of the run (until the last answer).
 */
async function closedLoop(
  target: Target,
  concurrency: number,
  seconds: number,
  sampler: ConnectionSampler,
  readCpu: () => CpuTimes | undefined,
): Promise<RunResult> {
  const latencies: number[] = [];
  const failures = new Map<string, number>();
  const failureSamples = new Map<string, string>();
  const fail = (kind: string, sample: string) => {
    failures.set(kind, (failures.get(kind) ?? 0) + 1);
    if (!failureSamples.has(kind)) failureSamples.set(kind, sample.slice(0, 300));
  };
  let sent = 0;
  sampler.start();
  const cpuBefore = readCpu();
  const startAt = performance.now();
  const endAt = startAt + seconds * 1000;
  const caller = async () => {
    while (performance.now() < endAt) {
      const sentAt = performance.now();
      sent++;
      try {
        const response = await fetch(target.url, {
          headers: target.headers,
          signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
        });
        const body = await consume(response);
        if (response.ok) latencies.push(performance.now() - sentAt);
        else fail(String(response.status), body);
      } catch (error) {
        fail((error as Error).name === "TimeoutError" ? "timeout" : "network", String(error));
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, caller));
  const wallS = (performance.now() - startAt) / 1000;
  const cpuAfter = readCpu();
  const peaks = await sampler.stop();
  return {
    target,
    rate: 0,
    scheduled: sent,
    ok: latencies.length,
    dropped: 0,
    failures,
    failureSamples,
    latencies,
    achieved: latencies.length / wallS,
    cores: coresBusy(cpuBefore, cpuAfter, wallS),
    ...peaks,
  };
}

function coresBusy(before: CpuTimes | undefined, after: CpuTimes | undefined, wallS: number) {
  if (!before || !after) return undefined;
  return Object.fromEntries(
    Object.entries(after).map(([role, seconds]) => [
      role,
      (seconds - before[role as keyof CpuTimes]) / wallS,
    ]),
  ) as CpuTimes;
}

/**
 * Polls the SQL endpoint's open connections and PostgreSQL's backends on the benchmark database
 * every 100 ms. Backends of this sampler and of the harness's own arranging client (postgres.js)
 * are not counted; the baseline's pool is counted apart (it stays open once warmed).
 */
function connectionSampler(
  sqlEndpoint: { stats(): { open: number } },
  pgSql: postgres.Sql,
  database: string,
): ConnectionSampler {
  let timer: ReturnType<typeof setInterval> | undefined;
  let inQuery: Promise<void> | undefined;
  let peakEndpointOpen = 0;
  let peakPgEdge = 0;
  let peakPgBaseline = 0;
  const sample = () => {
    peakEndpointOpen = Math.max(peakEndpointOpen, sqlEndpoint.stats().open);
    if (inQuery) return;
    inQuery = pgSql<Array<{ edge: number; baseline: number }>>`
      select count(*) filter (where application_name <> ${BASELINE_APP})::int as edge,
             count(*) filter (where application_name = ${BASELINE_APP})::int as baseline
      from pg_stat_activity
      where datname = ${database} and backend_type = 'client backend'
        and application_name not in (${SAMPLER_APP}, 'postgres.js')`
      .then(([row]) => {
        peakPgEdge = Math.max(peakPgEdge, row?.edge ?? 0);
        peakPgBaseline = Math.max(peakPgBaseline, row?.baseline ?? 0);
      })
      .catch(() => {})
      .finally(() => {
        inQuery = undefined;
      });
  };
  return {
    start() {
      peakEndpointOpen = 0;
      peakPgEdge = 0;
      peakPgBaseline = 0;
      sample();
      timer = setInterval(sample, 100);
    },
    async stop() {
      clearInterval(timer);
      sample();
      await inQuery;
      return { peakEndpointOpen, peakPgEdge, peakPgBaseline };
    },
  };
}

/** CPU time by role, in seconds: this process, workerd, PostgreSQL and the baseline server. */
type CpuTimes = { bench: number; workerd: number; postgres: number; baseline: number };

/** Linux clock ticks per second (`getconf CLK_TCK`), 100 on every common kernel. */
const CLOCK_TICKS = 100;

/**
 * Reads /proc for this process and its descendants (workerd, PostgreSQL, the baseline server);
 * undefined where /proc is not there. PostgreSQL includes the CPU of backends that have exited.
 */
function cpuTimes(baselinePid: number | undefined): CpuTimes | undefined {
  try {
    const procs = new Map<number, { ppid: number; comm: string; own: number; reaped: number }>();
    for (const entry of readdirSync("/proc")) {
      if (!/^\d+$/.test(entry)) continue;
      let stat: string;
      try {
        stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      } catch {
        continue;
      }
      const close = stat.lastIndexOf(")");
      // Fields after the command: state ppid ... utime(14) stime(15) cutime(16) cstime(17).
      const fields = stat
        .slice(close + 2)
        .split(" ")
        .map(Number);
      procs.set(Number(entry), {
        ppid: fields[1] ?? 0,
        comm: stat.slice(stat.indexOf("(") + 1, close),
        own: (fields[11] ?? 0) + (fields[12] ?? 0),
        reaped: (fields[13] ?? 0) + (fields[14] ?? 0),
      });
    }
    const descends = (pid: number) => {
      for (let p = procs.get(pid)?.ppid; p !== undefined && p > 1; p = procs.get(p)?.ppid) {
        if (p === process.pid) return true;
      }
      return false;
    };
    const times: CpuTimes = {
      bench: (procs.get(process.pid)?.own ?? 0) / CLOCK_TICKS,
      workerd: 0,
      postgres: 0,
      baseline: 0,
    };
    for (const [pid, proc] of procs) {
      if (pid === baselinePid) times.baseline += proc.own / CLOCK_TICKS;
      else if (!descends(pid)) continue;
      else if (proc.comm === "workerd") times.workerd += proc.own / CLOCK_TICKS;
      else if (proc.comm.startsWith("postgres")) times.postgres += (proc.own + proc.reaped) / CLOCK_TICKS;
    }
    return times;
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const rates = values.rates
    .split(",")
    .map((rate) => Number(rate.trim()))
    .filter((rate) => rate > 0);
  const seconds = Number(values.seconds);
  if (rates.length === 0 || !(seconds > 0)) throw new Error("--rates needs positive numbers, --seconds > 0");
  const concurrency = values.concurrency === undefined ? undefined : Number(values.concurrency);
  if (concurrency !== undefined && !(Number.isInteger(concurrency) && concurrency > 0))
    throw new Error("--concurrency needs a positive integer");
  const rounds = Number(values.rounds);
  if (!(Number.isInteger(rounds) && rounds > 0)) throw new Error("--rounds needs a positive integer");

  const worker = await startTestWorker({ vars: { RATE_LIMIT_READ: BENCH_READ_LIMIT, LOG_LEVEL: "error" } });
  const { sqlEndpoint, pg, jwtKeys } = await sharedServices();
  const database = decodeURIComponent(new URL(worker.databaseUrl).pathname.slice(1));
  const pgSql = postgres(pg.url("postgres"), {
    max: 1,
    onnotice: () => {},
    connection: { application_name: SAMPLER_APP },
  });
  let baseline: Awaited<ReturnType<typeof startBaseline>> | undefined;
  try {
    const [user] = await worker.db
      .insert(users)
      .values({ email: "bench-edge@example.com", passwordHash: "$argon2id$unused" })
      .returning();
    if (!user) throw new Error("no user");
    const key = await generateApiKey();
    await worker.db.insert(apiKeys).values({
      userId: user.id,
      name: "bench",
      prefix: key.prefix,
      keyHash: key.hash,
      scopes: ["jobs:read"],
    });
    // Valid for the whole run, however long the slow rates take.
    const jwt = await forgeAccessToken({
      claims: { sub: user.id, exp: Math.floor(Date.now() / 1000) + 3600 },
    });
    baseline = await startBaseline(worker.databaseUrl, jwtKeys);

    const bearer = (credential: string) => ({ Authorization: `Bearer ${credential}` });
    const targets: Target[] = [
      { name: "GET /health (workerd floor)", url: `${worker.origin}/health`, headers: {}, kind: "health" },
      { name: "GET /v1/me, JWT", url: `${worker.origin}/v1/me`, headers: bearer(jwt), kind: "edge" },
      { name: "GET /v1/me, API key", url: `${worker.origin}/v1/me`, headers: bearer(key.key), kind: "edge" },
      {
        name: "baseline: Bun.serve + jose + postgres.js",
        url: `${baseline.origin}/v1/me`,
        headers: bearer(jwt),
        kind: "baseline",
      },
    ];
    const sampler = connectionSampler(sqlEndpoint, pgSql, database);

    const readCpu = () => cpuTimes(baseline?.pid);
    const all = concurrency
      ? await runClosedLoops(targets, concurrency, seconds, rounds, sampler, readCpu)
      : await runOpenLoops(targets, rates, seconds, sampler, readCpu);

    const stats = sqlEndpoint.stats();
    console.log(
      `\nMost server connections seen: SQL-over-HTTP endpoint peakOpen ${stats.peakOpen} ` +
        `(pool of 10, whole run); PostgreSQL backends on the benchmark database at most ` +
        `${Math.max(...all.map((r) => r.peakPgEdge))} of the Worker (SQL endpoint and WebSocket proxy) ` +
        `and ${Math.max(...all.map((r) => r.peakPgBaseline))} of the baseline's pool (max 10).`,
    );
  } finally {
    await baseline?.stop();
    await pgSql.end({ timeout: 2 });
    await worker.dispose();
    await stopSharedServices();
  }
}

async function runOpenLoops(
  targets: Target[],
  rates: number[],
  seconds: number,
  sampler: ConnectionSampler,
  readCpu: () => CpuTimes | undefined,
): Promise<RunResult[]> {
  console.log(
    `\nOpen loop, ${seconds} s per target and rate, at most ${MAX_IN_FLIGHT} requests in flight, ` +
      `latency from each request's scheduled start; ${navigator.hardwareConcurrency} cores`,
  );
  const all: RunResult[] = [];
  for (const rate of rates) {
    const results: RunResult[] = [];
    for (const target of targets) {
      await warmUp(target);
      await Bun.sleep(250);
      const result = await openLoop(target, rate, seconds, sampler, readCpu);
      results.push(result);
      process.stderr.write(`  ${rate} req/s ${target.name}: ${result.achieved.toFixed(0)} req/s\n`);
    }
    all.push(...results);
    printRate(`${rate} req/s offered`, results);
  }
  return all;
}

async function runClosedLoops(
  targets: Target[],
  concurrency: number,
  seconds: number,
  rounds: number,
  sampler: ConnectionSampler,
  readCpu: () => CpuTimes | undefined,
): Promise<RunResult[]> {
  console.log(
    `\nClosed loop, ${concurrency} requests in flight per target, ${seconds} s per target, ` +
      `${rounds} round(s), targets interleaved; latency from each request's send; ` +
      `${navigator.hardwareConcurrency} cores; load average before: ${loadAverage()}`,
  );
  const all: RunResult[] = [];
  const byRound: RunResult[][] = [];
  for (let round = 1; round <= rounds; round++) {
    const results: RunResult[] = [];
    for (const target of targets) {
      await warmUp(target);
      await Bun.sleep(250);
      const result = await closedLoop(target, concurrency, seconds, sampler, readCpu);
      results.push(result);
      process.stderr.write(`  round ${round}, ${target.name}: ${result.achieved.toFixed(0)} req/s\n`);
    }
    all.push(...results);
    byRound.push(results);
    printRate(`round ${round}: ${concurrency} in flight (load average after: ${loadAverage()})`, results);
  }
  if (rounds > 1) printRoundSummary(targets, byRound);
  return all;
}

/** Per target over the rounds: median and range of throughput, of its ratio to `/health` in the
 * same round, and of the round's p50 and p99. */
function printRoundSummary(targets: Target[], byRound: RunResult[][]): void {
  const spread = (values: number[], digits: number, unit = "") =>
    `${percentile(values, 50).toFixed(digits)}${unit} (${Math.min(...values).toFixed(digits)}–` +
    `${Math.max(...values).toFixed(digits)})`;
  console.log(`\n### Summary over ${byRound.length} rounds: median (min–max)\n`);
  printTable(
    ["target", "achieved req/s", "thr. / health (same round)", "p50 ms", "p99 ms"],
    targets.map((target) => {
      const runs = byRound.map((results) => results.find((r) => r.target === target) as RunResult);
      const ratios = byRound.map((results) => {
        const health = results.find((r) => r.target.kind === "health");
        const own = results.find((r) => r.target === target);
        return health && own ? own.achieved / health.achieved : Number.NaN;
      });
      return [
        target.name,
        spread(
          runs.map((r) => r.achieved),
          0,
        ),
        spread(ratios, 2, "x"),
        spread(
          runs.map((r) => percentile(r.latencies, 50)),
          1,
        ),
        spread(
          runs.map((r) => percentile(r.latencies, 99)),
          1,
        ),
      ];
    }),
  );
}

function loadAverage(): string {
  try {
    return readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
  } catch {
    return "unknown";
  }
}

function printRate(title: string, results: RunResult[]): void {
  const health = results.find((r) => r.target.kind === "health");
  const base = results.find((r) => r.target.kind === "baseline");
  const ratio = (value: number, of: number | undefined) =>
    of && Number.isFinite(value / of) ? `${(value / of).toFixed(2)}x` : "—";
  console.log(`\n### ${title}\n`);
  printTable(
    [
      "target",
      "sent",
      "achieved req/s",
      "p50 ms",
      "p99 ms",
      "max ms",
      "errors (non-2xx + dropped)",
      "thr. / health",
      "thr. / baseline",
      "p50 / baseline",
      "SQL endpoint conns (peak)",
      "PG backends Worker / baseline (peak)",
    ],
    results.map((r) => {
      const errors = [...r.failures.values()].reduce((a, b) => a + b, 0) + r.dropped;
      return [
        r.target.name,
        r.scheduled - r.dropped,
        r.achieved.toFixed(0),
        ms(percentile(r.latencies, 50)),
        ms(percentile(r.latencies, 99)),
        ms(percentile(r.latencies, 100)),
        errors,
        r.target.kind === "health" ? "1.00x" : ratio(r.achieved, health?.achieved),
        r.target.kind === "baseline" ? "1.00x" : ratio(r.achieved, base?.achieved),
        r.target.kind === "baseline"
          ? "1.00x"
          : ratio(percentile(r.latencies, 50), base && percentile(base.latencies, 50)),
        r.peakEndpointOpen,
        `${r.peakPgEdge} / ${r.peakPgBaseline}`,
      ];
    }),
  );
  if (results.every((r) => r.cores)) {
    console.log(`\nCores busy on average while each target ran (of ${navigator.hardwareConcurrency}):\n`);
    printTable(
      [
        "target",
        "workerd",
        "bench process (client + SQL endpoint + WS proxy)",
        "postgres",
        "baseline server",
      ],
      results.map((r) => [
        r.target.name,
        (r.cores?.workerd ?? 0).toFixed(2),
        (r.cores?.bench ?? 0).toFixed(2),
        (r.cores?.postgres ?? 0).toFixed(2),
        (r.cores?.baseline ?? 0).toFixed(2),
      ]),
    );
  }
  for (const r of results) {
    if (r.failures.size === 0 && r.dropped === 0) continue;
    const kinds = [...r.failures].map(([kind, count]) => `${kind}×${count}`);
    if (r.dropped) kinds.push(`dropped×${r.dropped}`);
    console.log(`\n${r.target.name}: ${kinds.join(", ")}`);
    for (const [kind, sample] of r.failureSamples)
      console.log(`  first ${kind}: ${sample.replaceAll("\n", " ")}`);
  }
}

// Last, so every declaration above is initialised before it runs.
if (values["serve-baseline"]) await serveBaseline();
else if (process.env.BUN_CONFIG_MAX_HTTP_REQUESTS === undefined) {
  // Bun reads its client connection limit at start-up only: run again with it raised.
  const child = Bun.spawn([process.execPath, ...process.argv.slice(1)], {
    env: { ...process.env, BUN_CONFIG_MAX_HTTP_REQUESTS: CLIENT_MAX_CONNECTIONS },
    stdio: ["inherit", "inherit", "inherit"],
  });
  process.exit(await child.exited);
} else await main();
