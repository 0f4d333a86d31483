/**
 * Jobs through the local stack with the real model and the generator's ordinary films (issue #21):
 *
 * - lone jobs: one at a time, created then awaited with `?wait=20`, the baseline of the run;
 * - sustained: an open loop at `--rate` jobs/s for `--seconds` by `--callers` callers, every
 *   accepted job awaited with `?wait=20`; passes with 0 refused, 0 failed, 0 5xx, 0 hung, no
 *   workerd error line, every accepted job succeeded exactly once, p99 < 2 s. `--find-max` steps
 *   the rate by `--step` from `--rate` (up while it passes, down while it fails) and reports the
 *   largest passing rate;
 * - overload: the same at `--overload-rate` (30) jobs/s; passes when refusals come within 250 ms
 *   (p99) with Retry-After ≥ 1, every accepted job succeeds exactly once with p99 < 10 s, 0 5xx,
 *   0 hung, 0 pending after the drain;
 * - `--stress`: a CPU-bound child process takes one core for each run's duration;
 * - `--kill inference|workerd|wrangler [--kill-at 20]`: one sustained run against `npm run dev` in
 *   a child process, the target SIGKILLed by pid at that second; passes when the stack serves
 *   again (target restarted, `/health/ready` 200) within 15 s and every accepted job succeeds
 *   exactly once (5xx, hung and pending are shown beside).
 *
 *   npm run bench:e2e [-- --rate 10 --seconds 60 --runs sustained,overload --find-max --stress]
 *   npm run bench:e2e -- --kill workerd --kill-at 20 --rate 6
 *
 * The stack: the Worker in workerd through Miniflare and the inference service as its own process
 * (`--inference in-process` runs it inside the bench instead, sharing the client's event loop).
 * INFERENCE_* variables in the environment reach the inference service; `--worker-var K=V` sets a
 * Worker var (not for `--kill`, whose `npm run dev` keeps its own). Each run's database is checked
 * after its drain, and one table sums the runs up.
 */
import { loadavg } from "node:os";
import { parseArgs } from "node:util";
import { jobs } from "@db/schema";
import { printTable, secondsSpread } from "../stats";
import { cpuBetween, cpuSnapshot } from "./cpu";
import { describeFilms, renderFilms } from "./films";
import { type JobOutcome, openLoop, runJob, takeNetworkErrors, WAIT_SECONDS } from "./load";
import { captureConsole, describeErrors, errorLineTotal, takeLogCounts } from "./logs";
import { type RunKind, type RunResult, refusalsByBasis, summarise } from "./outcome";
import { checkDatabase, runJobs, spreadMs, timeBreakdown } from "./report";
import { arrangeCallers, type Caller, type KillTarget, type Stack, startInProcessStack } from "./stack";

/** Connections Bun's fetch may open at once; its default (256) would queue waits in the client. */
const CLIENT_MAX_CONNECTIONS = "4096";
const RECOVERY_PROBE_MS = 60_000;
const GENEROUS_LIMITS = {
  RATE_LIMIT_READ: "100000000/1s",
  RATE_LIMIT_WRITE: "100000000/1s",
  JOBS_PER_DAY: "100000000",
};

const { values } = parseArgs({
  options: {
    rate: { type: "string", default: "10" },
    seconds: { type: "string", default: "60" },
    callers: { type: "string", default: "4" },
    films: { type: "string", default: "24" },
    lone: { type: "string", default: "10" },
    drain: { type: "string", default: "60" },
    runs: { type: "string", default: "sustained,overload" },
    "find-max": { type: "boolean", default: false },
    step: { type: "string", default: "2" },
    "max-rate": { type: "string", default: "40" },
    "overload-rate": { type: "string", default: "30" },
    stress: { type: "boolean", default: false },
    kill: { type: "string" },
    "kill-at": { type: "string", default: "20" },
    "worker-var": { type: "string", multiple: true, default: [] },
    inference: { type: "string", default: "process" },
  },
});

const print = console.log.bind(console);
const out = (line: string) => print(line);
const number = (name: keyof typeof values) => {
  const value = Number(values[name]);
  if (!(value >= 0)) throw new Error(`--${name} must be a number ≥ 0`);
  return value;
};

type Setup = { stack: Stack; callers: Caller[]; loneP50: number };

/** A CPU-bound child process, for `--stress`; stopped by its pid. */
function startStress(): { stop(): void; pid: number } {
  const child = Bun.spawn([process.execPath, "-e", "for (;;) {}"], { stdio: ["ignore", "ignore", "ignore"] });
  return { pid: child.pid, stop: () => child.kill("SIGKILL") };
}

async function lonePhase(setup: Setup, count: number): Promise<number> {
  const caller = setup.callers[0] as Caller;
  const latencies: number[] = [];
  for (let i = 0; i < count; i++) {
    const startedAt = performance.now();
    const image = caller.images[i % caller.images.length] as string;
    const outcome = await runJob(setup.stack.origin, caller, image, startedAt, startedAt + 60_000);
    if (outcome.succeededAt !== undefined) latencies.push(outcome.succeededAt - startedAt);
  }
  takeLogCounts();
  out(
    `\nLone jobs (baseline): ${latencies.length}/${count} succeeded, created→succeeded p50 / p90 / p99 s ${secondsSpread(latencies)}`,
  );
  return latencies.sort((a, b) => a - b)[Math.floor(latencies.length / 2)] ?? Number.NaN;
}

type RunPlan = { kind: RunKind; rate: number; label: string; kill?: KillTarget };

/** Kills the plan's target and measures how long until it is back and the edge is ready. */
function killer(
  stack: Stack,
  target: KillTarget,
  result: { killAt?: number; recoveredMs?: number; pid?: number },
) {
  return async () => {
    result.pid = stack.kill?.(target);
    result.killAt = performance.now();
    out(`  killed ${target} (pid ${result.pid}) at ${values["kill-at"]} s`);
    const deadline = result.killAt + RECOVERY_PROBE_MS;
    while (performance.now() < deadline) {
      const pid = stack.pidOf?.(target);
      const ready = await fetch(`${stack.origin}/health/ready`, { signal: AbortSignal.timeout(2000) })
        .then(async (r) => {
          await r.arrayBuffer();
          return r.status === 200;
        })
        .catch(() => false);
      if (pid !== undefined && pid !== result.pid && ready) {
        result.recoveredMs = performance.now() - result.killAt;
        return;
      }
      await Bun.sleep(250);
    }
  };
}

async function oneRun(setup: Setup, plan: RunPlan): Promise<RunResult> {
  const { stack, callers } = setup;
  const seconds = number("seconds");
  const before = new Set((await stack.db.select({ id: jobs.id }).from(jobs)).map((row) => row.id));
  const inferenceBefore = await stack.inferenceCounters?.();
  const stress = values.stress ? startStress() : undefined;
  const kill: { killAt?: number; recoveredMs?: number; pid?: number } = {};
  const load = [loadavg()[0] ?? 0];
  const cpuBefore = cpuSnapshot();
  out(
    `\n### ${plan.label}: ${plan.rate} jobs/s for ${seconds} s${stress ? `, stress child pid ${stress.pid} taking one core` : ""}`,
  );
  takeLogCounts();
  const loop = await openLoop(stack.origin, callers, {
    rate: plan.rate,
    seconds,
    drainSeconds: number("drain"),
    label: plan.label,
    ...(plan.kill
      ? {
          at: { atSecond: number("kill-at"), run: () => void killer(stack, plan.kill as KillTarget, kill)() },
        }
      : {}),
  });
  const cpu = cpuBetween(cpuBefore, cpuSnapshot(), new Map(stress ? [[stress.pid, "stress"]] : []));
  stress?.stop();
  load.push(loadavg()[0] ?? 0);
  const logs = takeLogCounts();
  const rows = await runJobs(stack, callers, before);
  const accepted = loop.outcomes.filter((o) => o.created === 202);
  const database = await checkDatabase(stack, accepted, rows);
  printBreakdown(rows);
  out(`  CPU during the run, in cores: ${cpu}`);
  out(`  GET /health (no database) while creations ran, p50 / p90 / p99 s: ${secondsSpread(loop.health)}`);
  const byBasis = refusalsByBasis(loop);
  if (byBasis) out(`  refusals by what decided them, p50 / p99 ms: ${byBasis}`);
  const network = takeNetworkErrors();
  if (network.size)
    out(`  requests that hung or were broken off: ${[...network].map(([k, n]) => `${n}× ${k}`).join("; ")}`);
  for (const line of database.problems) out(`  ${line}`);
  if (logs.samples.length)
    out(`  workerd / Worker error lines: ${describeErrors(logs)}; e.g.\n    ${logs.samples.join("\n    ")}`);
  if (logs.access.size)
    out(
      `  Worker access-log lines (LOG_LEVEL=warn): ${[...logs.access].map(([k, n]) => `${k} ×${n}`).join(", ")}`,
    );
  if (inferenceBefore) printInferenceDelta(inferenceBefore, (await stack.inferenceCounters?.()) ?? new Map());
  const firstSuccessAfterKill =
    kill.killAt === undefined ? undefined : firstSuccessAfter(loop.outcomes, kill.killAt);
  return summarise({
    plan,
    shape: stack.shape,
    stressed: stress !== undefined,
    seconds,
    loop,
    database,
    workerdErrors: errorLineTotal(logs),
    loneP50: setup.loneP50,
    load,
    ...(plan.kill ? { kill: { recoveredMs: kill.recoveredMs, firstSuccessMs: firstSuccessAfterKill } } : {}),
  });
}

function firstSuccessAfter(outcomes: JobOutcome[], at: number): number | undefined {
  const times = outcomes
    .filter((o) => o.scheduledAt >= at && o.succeededAt !== undefined)
    .map((o) => (o.succeededAt as number) - at);
  return times.length ? Math.min(...times) : undefined;
}

function printBreakdown(rows: Awaited<ReturnType<typeof runJobs>>): void {
  out(
    `\nWhere the time went (${rows.length} jobs of the run, database timestamps and inference's stage timings), ms:\n`,
  );
  printTable(
    ["stage", "p50", "p90", "p99"],
    timeBreakdown(rows).map(([name, samples]) => [name, ...spreadMs(samples)]),
    out,
  );
}

function printInferenceDelta(before: Map<string, number>, after: Map<string, number>): void {
  const delta = [...after]
    .map(([key, value]) => [key, value - (before.get(key) ?? 0)] as const)
    .filter(([, v]) => v !== 0);
  const get = (key: string) => delta.find(([k]) => k === key)?.[1] ?? 0;
  const rest = delta.filter(([key]) => key !== "model runs" && key !== "images run");
  out(
    `  inference: ${rest.map(([key, value]) => `${key} ${value}`).join(", ")}; ${get("images run")} images in ` +
      `${get("model runs")} model runs (mean batch ${(get("images run") / (get("model runs") || 1)).toFixed(2)})`,
  );
}

/** The sustained rates to try: up by `--step` while they pass, down while the first fails. */
async function findMax(setup: Setup, results: RunResult[]): Promise<number | undefined> {
  const step = number("step");
  const maxRate = number("max-rate");
  let rate = number("rate");
  let best: number | undefined;
  let direction = 0;
  while (rate > 0 && rate <= maxRate) {
    const result = await oneRun(setup, { kind: "sustained", rate, label: `sustained ${rate}/s` });
    results.push(result);
    if (result.pass) best = Math.max(best ?? 0, rate);
    if (direction === 0) direction = result.pass ? 1 : -1;
    if ((direction > 0 && !result.pass) || (direction < 0 && result.pass)) break;
    rate += direction * step;
  }
  return best;
}

function plans(): RunPlan[] {
  const rate = number("rate");
  const kill = values.kill as KillTarget | undefined;
  if (kill) return [{ kind: "kill", rate, label: `kill ${kill} at ${values["kill-at"]} s`, kill }];
  const runs = (values.runs ?? "").split(",");
  return [
    ...(runs.includes("sustained") && !values["find-max"]
      ? [{ kind: "sustained" as const, rate, label: `sustained ${rate}/s` }]
      : []),
    ...(runs.includes("overload")
      ? [
          {
            kind: "overload" as const,
            rate: number("overload-rate"),
            label: `overload ${values["overload-rate"]}/s`,
          },
        ]
      : []),
  ];
}

async function start(): Promise<Stack> {
  const kill = values.kill;
  if (kill !== undefined) {
    if (!["inference", "workerd", "wrangler"].includes(kill))
      throw new Error("--kill: inference, workerd or wrangler");
    const { startDevStack } = await import("./dev-stack");
    return startDevStack(out);
  }
  const vars = Object.fromEntries(values["worker-var"].map((pair) => pair.split("=", 2) as [string, string]));
  return startInProcessStack({ ...GENEROUS_LIMITS, ...vars }, values.inference === "process");
}

async function main(): Promise<void> {
  captureConsole();
  const renderStarted = performance.now();
  const films = await renderFilms(number("films"));
  out(`${describeFilms(films)}; rendered in ${((performance.now() - renderStarted) / 1000).toFixed(1)} s`);
  out(
    `machine: ${navigator.hardwareConcurrency} cores, load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(" ")}`,
  );
  const stack = await start();
  const results: RunResult[] = [];
  let best: number | undefined;
  try {
    out(`stack: ${stack.describe}`);
    // `npm run dev` keeps its rate limits: enough callers that each stays within them.
    const callerCount = Math.max(
      number("callers"),
      values.kill === undefined ? 0 : Math.ceil(number("rate")),
    );
    const callers = await arrangeCallers(stack, callerCount, films);
    out(
      `${callers.length} callers, each with the ${films.length} films uploaded; every accepted job awaited with ?wait=${WAIT_SECONDS}`,
    );
    const setup: Setup = { stack, callers, loneP50: Number.NaN };
    setup.loneP50 = await lonePhase(setup, number("lone"));
    if (values["find-max"] && !values.kill) best = await findMax(setup, results);
    for (const plan of plans()) results.push(await oneRun(setup, plan));
  } finally {
    await stack.dispose();
  }
  printSummary(results, best);
}

function printSummary(results: RunResult[], best: number | undefined): void {
  out("\n## Summary (the films above; load average: 1-minute, at each run's start → end)\n");
  printTable(
    results[0]?.headers ?? [],
    results.map((r) => r.row),
    out,
  );
  out("\nVerdicts:");
  for (const result of results) for (const line of result.verdicts) out(`- ${line}`);
  if (values["find-max"])
    out(
      `- largest sustained rate meeting every criterion: ${best === undefined ? "none tried passed" : `${best} jobs/s`}`,
    );
}

// Last, so every declaration above is initialised before it runs.
if (process.env.BUN_CONFIG_MAX_HTTP_REQUESTS === undefined) {
  // Bun reads its client connection limit at start-up only: run again with it raised.
  const child = Bun.spawn([process.execPath, ...process.argv.slice(1)], {
    env: { ...process.env, BUN_CONFIG_MAX_HTTP_REQUESTS: CLIENT_MAX_CONNECTIONS },
    stdio: ["inherit", "inherit", "inherit"],
  });
  process.exit(await child.exited);
} else await main();
