/**
 * Jobs through the local stack with the real model: the edge Worker in workerd (real R2, Queues
 * and Durable Objects, its own database), its dev entry forwarding `detect` to the local Queues
 * API, and the inference service in this process with the shipped model pulling from it, as in
 * scripts/system-tests/full-stack-fixture.ts.
 *
 * - lone job: jobs one at a time, each created and then awaited with `GET /v1/jobs/{id}?wait=30`;
 * - open loop: creations launched on a fixed schedule (R jobs/s for T s) whatever the answers do,
 *   by several callers; each accepted job is awaited with `?wait=30` (again until it finishes or
 *   the drain period ends). Latency runs from each creation's scheduled start. The database is
 *   then checked: every accepted job succeeded exactly once, none failed, nothing was created
 *   without a 202, detections are unique per job and as many as `GET` reports;
 * - overload (`--overload`): the same at twice the rate with a low MAX_UNFINISHED_JOBS, to see
 *   admission control refuse with 503 backlog_full and Retry-After while accepted jobs succeed.
 *
 *   npm run bench:e2e [-- --rate 20 --seconds 30 --callers 6 --films 20 --lone 20 --drain 60]
 *   npm run bench:e2e -- --overload [--rate 20 (runs at twice it) --max-unfinished 60]
 *
 * INFERENCE_* variables in the environment reach the inference service (e.g.
 * INFERENCE_INTRA_OP_THREADS; default every core but one).
 */
import { join } from "node:path";
import { parseArgs } from "node:util";
import { detections, jobs, users } from "@db/schema";
import { ImageSchema } from "@edge/routes/images/schema";
import { JobSchema, QueuedJobsSchema } from "@edge/routes/jobs/schema";
import { encodePng } from "@generator/png";
import { deriveSeed } from "@generator/prng";
import { renderSample } from "@generator/sample";
import { loadConfig } from "@inference/config";
import type { Logger } from "@inference/log";
import { createService, type Service } from "@inference/service";
import { freePort } from "@scripts/local-stack/ports";
import { forgeAccessToken } from "@scripts/testing/auth-fixtures";
import { readBody, readError } from "@scripts/testing/responses";
import { sharedServices, stopSharedServices } from "@scripts/testing/shared-services";
import { startTestWorker, type TestWorker } from "@scripts/testing/test-worker";
import { inArray } from "drizzle-orm";
import sharp from "sharp";
import { z } from "zod";
import { ms, percentile, printTable } from "../stats";

/** Open job sessions (creation plus its waits) beyond which scheduled creations are dropped. */
const MAX_IN_FLIGHT = 2000;
const CREATE_TIMEOUT_MS = 30_000;
const WAIT_SECONDS = 30;
/** Lone jobs as a whole may take this long; each is abandoned (lost) after LONE_JOB_TIMEOUT_MS. */
const LONE_PHASE_TIMEOUT_MS = 180_000;
const LONE_JOB_TIMEOUT_MS = 60_000;
const FILM_WIDTH = 640;
const FILM_HEIGHT = 480;
/** Connections Bun's fetch may open at once; its default (256) would queue waits in the client. */
const CLIENT_MAX_CONNECTIONS = "4096";
const GENEROUS_LIMITS = {
  RATE_LIMIT_READ: "100000000/1s",
  RATE_LIMIT_WRITE: "100000000/1s",
  JOBS_PER_DAY: "100000000",
};

const { values } = parseArgs({
  options: {
    rate: { type: "string" },
    seconds: { type: "string", default: "30" },
    callers: { type: "string", default: "6" },
    films: { type: "string", default: "20" },
    lone: { type: "string", default: "20" },
    drain: { type: "string", default: "60" },
    "max-unfinished": { type: "string" },
    overload: { type: "boolean", default: false },
  },
});

// ---------------------------------------------------------------------------------------------
// The Worker's access-log lines are counted by route and status instead of printed: every 5xx
// is an error-level line, and an overload run refuses hundreds of creations. Miniflare hands each
// line of workerd's stdout / stderr to console.log / console.error; other lines pass through.

const workerRequestLog = new Map<string, number>();
const print = console.log.bind(console);

/** The fields of the Worker's access-log line (edge/src/middleware/request-log.ts) counted here. */
const AccessLogLineSchema = z.looseObject({
  msg: z.string().optional(),
  level: z.string().optional(),
  method: z.string().optional(),
  path: z.string().optional(),
  status: z.number().optional(),
});

/** True when `line` was a Worker access-log line, now counted. */
function foldAccessLog(args: unknown[]): boolean {
  const [raw] = args;
  if (args.length !== 1 || typeof raw !== "string") return false;
  // Miniflare may colour stderr lines.
  // biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI escape sequences
  const line = raw.replace(/\u001b\[[0-9;]*m/g, "");
  if (!line.startsWith('{"time"')) return false;
  try {
    const entry = AccessLogLineSchema.parse(JSON.parse(line));
    if (entry.msg !== "request") return false;
    const route = (entry.path ?? "").replace(
      /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g,
      "{id}",
    );
    const key = `${entry.level} ${entry.method} ${route} ${entry.status}`;
    workerRequestLog.set(key, (workerRequestLog.get(key) ?? 0) + 1);
    return true;
  } catch {
    return false;
  }
}

for (const stream of ["log", "error"] as const) {
  const original = console[stream].bind(console);
  console[stream] = (...args: unknown[]) => {
    if (!foldAccessLog(args)) original(...args);
  };
}

/** Prints and resets the folded access-log lines. */
function printWorkerRequestLog(): void {
  if (workerRequestLog.size === 0) return;
  print(
    `Worker access-log lines (LOG_LEVEL=warn: 5xx only) during the phase: ${[...workerRequestLog]
      .map(([key, n]) => `${key} ×${n}`)
      .join(", ")}`,
  );
  workerRequestLog.clear();
}

// ---------------------------------------------------------------------------------------------
// The stack.

type Caller = { id: string; auth: string; images: string[] };

type Stack = {
  worker: TestWorker;
  service: Service;
  /** Warnings and errors the inference service logged, by message. */
  inferenceLog: Map<string, number>;
  dispose(): Promise<void>;
};

function countingLogger(counts: Map<string, number>): Logger {
  const count = (level: string) => (msg: string, fields?: Record<string, unknown>) => {
    const code = typeof fields?.code === "string" ? ` (${fields.code})` : "";
    const key = `${level}: ${msg}${code}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  };
  const logger: Logger = {
    debug() {},
    info() {},
    warn: count("warn"),
    error: count("error"),
    child: () => logger,
  };
  return logger;
}

async function startStack(vars: Record<string, string>): Promise<Stack> {
  const { secrets } = await sharedServices();
  const inferencePort = await freePort();
  const inferenceLog = new Map<string, number>();
  // The Worker forwards `detect` to its local Queues API; inference pulls it from there.
  const worker = await startTestWorker({
    r2S3: true,
    vars: { INFERENCE_URL: `http://127.0.0.1:${inferencePort}`, LOG_LEVEL: "warn", ...vars },
  });
  const config = loadConfig({
    ...process.env,
    INFERENCE_MODELS_DIR: join(import.meta.dir, "..", "..", "..", "inference", "models"),
    INFERENCE_EDGE_URL: worker.origin,
    INFERENCE_CALLBACK_TOKEN: secrets.callbackToken,
    ...worker.detectQueue.inferenceEnv,
    INFERENCE_PULL_IDLE_MS: "50",
  });
  const service = await createService(config, countingLogger(inferenceLog));
  await service.models.warmup();
  // As inference/src/main.ts serves it (readiness, metrics).
  const server = Bun.serve({
    port: inferencePort,
    hostname: "127.0.0.1",
    fetch: service.app.fetch,
    maxRequestBodySize: config.MAX_IMAGE_BYTES + 1024 * 1024,
  });
  service.start();
  console.log(
    `stack: Worker ${worker.origin} (vars ${JSON.stringify(vars)}), inference ${server.url.href} ` +
      `(intra-op threads ${config.INTRA_OP_THREADS}, decode concurrency ${config.DECODE_CONCURRENCY}, ` +
      `max batch ${config.MAX_BATCH})`,
  );
  return {
    worker,
    service,
    inferenceLog,
    dispose: async () => {
      await service.drain();
      await server.stop(true);
      await service.close();
      await worker.dispose();
    },
  };
}

/** Distinct generated films, each scaled to FILM_WIDTH×FILM_HEIGHT, as 8-bit grey PNG. */
async function renderFilms(count: number): Promise<Buffer[]> {
  const films: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    const sample = renderSample(deriveSeed(2026, "bench-e2e", i), { imgsz: 320 });
    const png = await encodePng(sample.image, 8);
    films.push(await sharp(png).resize(FILM_WIDTH, FILM_HEIGHT, { fit: "fill" }).png().toBuffer());
  }
  return films;
}

/** Users inserted directly, each with a token and every film uploaded through the API. */
async function arrangeCallers(worker: TestWorker, count: number, films: Buffer[]): Promise<Caller[]> {
  const callers: Caller[] = [];
  for (let i = 0; i < count; i++) {
    const [user] = await worker.db
      .insert(users)
      .values({
        email: `bench-e2e-${i}-${crypto.randomUUID().slice(0, 8)}@example.com`,
        passwordHash: "$argon2id$unused",
      })
      .returning({ id: users.id });
    if (!user) throw new Error("no user");
    const token = await forgeAccessToken({
      claims: { sub: user.id, exp: Math.floor(Date.now() / 1000) + 3 * 3600 },
    });
    callers.push({ id: user.id, auth: `Bearer ${token}`, images: [] });
  }
  const uploads = callers.flatMap((caller) => films.map((film, index) => ({ caller, film, index })));
  let next = 0;
  const uploader = async () => {
    for (let item = uploads[next++]; item; item = uploads[next++]) {
      const response = await fetch(`${worker.origin}/v1/images?filename=film-${item.index}.png`, {
        method: "POST",
        headers: {
          Authorization: item.caller.auth,
          "Content-Type": "image/png",
          "Content-Length": String(item.film.length),
        },
        body: item.film,
      });
      if (response.status !== 201) throw new Error(`upload: ${response.status} ${await response.text()}`);
      item.caller.images[item.index] = (await readBody(response, ImageSchema)).id;
    }
  };
  await Promise.all(Array.from({ length: 4 }, uploader));
  return callers;
}

// ---------------------------------------------------------------------------------------------
// One job as a client runs it: create, then wait until it has finished or the deadline passes.

type JobOutcome = {
  scheduledAt: number;
  caller: Caller;
  /** HTTP status of the creation, or "timeout" / "network". */
  created: number | string;
  /** `error.code` of a refused creation. */
  refusedCode?: string;
  retryAfter?: string | null;
  jobId?: string;
  /** Last status the client saw; undefined when it never got an answer to a wait. */
  status?: string;
  /** performance.now() when the client saw the job succeeded. */
  succeededAt?: number;
  reportedDetections?: number;
  /** Waits answered with a non-200 or not at all, by status / error kind. */
  waitFailures: Map<string, number>;
};

/** A fetch that ran out of its `AbortSignal.timeout`, as opposed to one the network broke off. */
const isTimeout = (error: unknown) => error instanceof Error && error.name === "TimeoutError";

async function runJob(
  origin: string,
  caller: Caller,
  imageId: string,
  scheduledAt: number,
  deadline: number,
): Promise<JobOutcome> {
  const outcome: JobOutcome = { scheduledAt, caller, created: "network", waitFailures: new Map() };
  const failWait = (kind: string) =>
    outcome.waitFailures.set(kind, (outcome.waitFailures.get(kind) ?? 0) + 1);
  try {
    const response = await fetch(`${origin}/v1/jobs`, {
      method: "POST",
      headers: { Authorization: caller.auth, "Content-Type": "application/json" },
      body: JSON.stringify({ imageId }),
      signal: AbortSignal.timeout(CREATE_TIMEOUT_MS),
    });
    outcome.created = response.status;
    if (response.status !== 202) {
      outcome.retryAfter = response.headers.get("Retry-After");
      // A refusal that is not the edge's error body (a proxy's, a crash's) is still counted.
      outcome.refusedCode = await readError(response).then(
        (error) => error.code,
        () => "?",
      );
      return outcome;
    }
    const [job] = (await readBody(response, QueuedJobsSchema)).jobs;
    outcome.jobId = job?.id;
    outcome.status = job?.status;
  } catch (error) {
    outcome.created = isTimeout(error) ? "timeout" : "network";
    return outcome;
  }
  while (outcome.status !== "succeeded" && outcome.status !== "failed") {
    const left = Math.floor((deadline - performance.now()) / 1000);
    if (left < 1) break;
    const wait = Math.min(WAIT_SECONDS, left);
    try {
      const response = await fetch(`${origin}/v1/jobs/${outcome.jobId}?wait=${wait}`, {
        headers: { Authorization: caller.auth },
        signal: AbortSignal.timeout((wait + 15) * 1000),
      });
      if (response.status !== 200) {
        failWait(String(response.status));
        await response.arrayBuffer();
        await Bun.sleep(500);
        continue;
      }
      const job = await readBody(response, JobSchema);
      outcome.status = job.status;
      if (job.status === "succeeded") {
        outcome.succeededAt = performance.now();
        outcome.reportedDetections = job.detections?.length;
      }
    } catch (error) {
      failWait(isTimeout(error) ? "timeout" : "network");
      await Bun.sleep(500);
    }
  }
  return outcome;
}

const latencyOf = (o: JobOutcome) => (o.succeededAt as number) - o.scheduledAt;

// ---------------------------------------------------------------------------------------------
// Phases.

async function lonePhase(stack: Stack, caller: Caller, count: number) {
  const outcomes: JobOutcome[] = [];
  const phaseDeadline = performance.now() + LONE_PHASE_TIMEOUT_MS;
  for (let i = 0; i < count && performance.now() < phaseDeadline; i++) {
    const startedAt = performance.now();
    const deadline = Math.min(phaseDeadline, startedAt + LONE_JOB_TIMEOUT_MS);
    outcomes.push(
      await runJob(
        stack.worker.origin,
        caller,
        caller.images[i % caller.images.length] as string,
        startedAt,
        deadline,
      ),
    );
  }
  const done = outcomes.filter((o) => o.succeededAt !== undefined).map(latencyOf);
  const server = await serverTimings(stack.worker, outcomes);
  console.log(
    `\n### Lone job: ${count} jobs one at a time, created then awaited with ?wait=${WAIT_SECONDS}\n`,
  );
  printTable(
    [
      "jobs",
      "succeeded",
      "created→succeeded p50 ms",
      "p95 ms",
      "max ms",
      "server created→finished p50 ms",
      "created→started p50 ms",
      "started→finished p50 ms",
    ],
    [
      [
        outcomes.length,
        done.length,
        ms(percentile(done, 50)),
        ms(percentile(done, 95)),
        ms(percentile(done, 100)),
        ms(percentile(server.total, 50)),
        ms(percentile(server.queued, 50)),
        ms(percentile(server.running, 50)),
      ],
    ],
  );
  printWorkerRequestLog();
  const p50 = percentile(done, 50);
  return [
    `lone job p50 < 300 ms: ${p50 < 300 && done.length === count ? "yes" : "no"} (${ms(p50)} ms, ${done.length}/${count} succeeded)`,
  ];
}

type OpenLoopOptions = { rate: number; seconds: number; drainSeconds: number; label: string };

async function openLoopPhase(stack: Stack, callers: Caller[], options: OpenLoopOptions) {
  const { worker } = stack;
  const before = new Set((await worker.db.select({ id: jobs.id }).from(jobs)).map((row) => row.id));
  const inferenceBefore = await inferenceCounters(stack);
  const total = Math.round(options.rate * options.seconds);
  const intervalMs = 1000 / options.rate;
  const startAt = performance.now() + 5;
  const deadline = startAt + (options.seconds + options.drainSeconds) * 1000;
  const pending = new Set<Promise<JobOutcome>>();
  const outcomes: JobOutcome[] = [];
  let dropped = 0;
  let launched = 0;
  const launch = (index: number, scheduledAt: number) => {
    if (pending.size >= MAX_IN_FLIGHT) {
      dropped++;
      return;
    }
    launched++;
    const caller = callers[index % callers.length] as Caller;
    const imageId = caller.images[Math.floor(index / callers.length) % caller.images.length] as string;
    const session = runJob(worker.origin, caller, imageId, scheduledAt, deadline).then((outcome) => {
      outcomes.push(outcome);
      pending.delete(session);
      return outcome;
    });
    pending.add(session);
  };
  const progress = setInterval(() => {
    const accepted = outcomes.filter((o) => o.created === 202).length;
    process.stderr.write(
      `  ${options.label}: ${((performance.now() - startAt) / 1000).toFixed(0)} s, launched ${launched}, ` +
        `open ${pending.size}, finished sessions ${outcomes.length} (${accepted} accepted)\n`,
    );
  }, 5000);
  let next = 0;
  while (next < total) {
    const now = performance.now();
    while (next < total && startAt + next * intervalMs <= now) {
      launch(next, startAt + next * intervalMs);
      next++;
    }
    if (next < total)
      await Bun.sleep(Math.max(0, Math.min(2, startAt + next * intervalMs - performance.now())));
  }
  const creationSeconds = (performance.now() - startAt) / 1000;
  // Sessions end by the deadline (plus one request timeout) at the latest.
  while (pending.size > 0) await Promise.all([...pending]);
  clearInterval(progress);

  const accepted = outcomes.filter((o) => o.created === 202);
  const succeeded = accepted.filter((o) => o.succeededAt !== undefined);
  const failed = accepted.filter((o) => o.status === "failed");
  const refused = new Map<string, number>();
  let refusedWithRetryAfter = 0;
  for (const o of outcomes) {
    if (o.created === 202) continue;
    const key = typeof o.created === "number" ? `${o.created} ${o.refusedCode}` : String(o.created);
    refused.set(key, (refused.get(key) ?? 0) + 1);
    if (o.retryAfter) refusedWithRetryAfter++;
  }
  const refusedCount = outcomes.length - accepted.length;
  const waitFailures = new Map<string, number>();
  for (const o of outcomes)
    for (const [kind, n] of o.waitFailures) waitFailures.set(kind, (waitFailures.get(kind) ?? 0) + n);
  const lost = accepted.length - succeeded.length - failed.length;
  const latencies = succeeded.map(latencyOf);
  const lastSucceededAt = Math.max(startAt, ...succeeded.map((o) => o.succeededAt as number));
  const succeededSeconds = Math.max(options.seconds, (lastSucceededAt - startAt) / 1000);
  const server = await serverTimings(worker, accepted);

  console.log(
    `\n### ${options.label}: ${options.rate} jobs/s for ${options.seconds} s, ${callers.length} callers, drain ${options.drainSeconds} s\n`,
  );
  printTable(
    [
      "scheduled",
      "dropped",
      "accepted",
      "refused",
      "failed",
      "lost",
      "created→succeeded p50 ms",
      "p95 ms",
      "p99 ms",
      "max ms",
      "accepted jobs/s",
      "succeeded jobs/s",
    ],
    [
      [
        total,
        dropped,
        accepted.length,
        refusedCount,
        failed.length,
        lost,
        ms(percentile(latencies, 50)),
        ms(percentile(latencies, 95)),
        ms(percentile(latencies, 99)),
        ms(percentile(latencies, 100)),
        (accepted.length / creationSeconds).toFixed(1),
        (succeeded.length / succeededSeconds).toFixed(1),
      ],
    ],
  );
  console.log("\nServer side (database timestamps of accepted jobs), ms:\n");
  printTable(
    ["", "p50", "p95", "p99", "max"],
    [
      ["created→finished", ...[50, 95, 99, 100].map((p) => ms(percentile(server.total, p)))],
      ["created→started (queue)", ...[50, 95, 99, 100].map((p) => ms(percentile(server.queued, p)))],
      [
        "started→finished (push, inference, callback)",
        ...[50, 95, 99, 100].map((p) => ms(percentile(server.running, p))),
      ],
    ],
  );
  if (refused.size) {
    console.log("\nRefused creations by answer:\n");
    printTable(
      ["answer", "count"],
      [...refused].map(([answer, count]) => [answer, count]),
    );
    console.log(`(${refusedWithRetryAfter} of ${refusedCount} refusals carried Retry-After)`);
  }
  if (waitFailures.size)
    console.log(
      `\nWaits answered with an error: ${[...waitFailures].map(([k, n]) => `${k}×${n}`).join(", ")}`,
    );

  const checks = await checkInvariants(stack, callers, accepted, before);
  console.log("\nInvariants (database after the drain):\n");
  printTable(
    ["check", "result"],
    checks.map(({ name, value, ok }) => [name, `${value}${ok ? "" : "  ← VIOLATED"}`]),
  );
  printInferenceDelta(inferenceBefore, await inferenceCounters(stack));
  printWorkerRequestLog();

  const allOk = checks.every((c) => c.ok);
  const p95 = percentile(latencies, 95);
  const verdicts = [
    `${options.label}: every accepted job succeeded exactly once (none failed, lost, duplicated, miscounted or created without a 202): ${allOk ? "yes" : "no"} (${succeeded.length}/${accepted.length})`,
  ];
  if (options.label === "overload") {
    const backlog = outcomes.filter(
      (o) => o.created === 503 && o.refusedCode === "backlog_full" && o.retryAfter,
    );
    verdicts.push(
      `overload: admission control refused some creations: ${refusedCount > 0 ? "yes" : "no"} (${refusedCount} of ${outcomes.length})`,
      `overload: every refusal is 503 backlog_full with Retry-After: ${refusedCount > 0 && backlog.length === refusedCount ? "yes" : "no"} (${backlog.length} of ${refusedCount})`,
    );
  } else {
    verdicts.push(
      `${options.label}: ${options.rate} jobs/s sustained with nothing refused or dropped: ${refusedCount === 0 && dropped === 0 ? "yes" : "no"} (${refusedCount} refused, ${dropped} dropped)`,
      `${options.label}: created→succeeded p95 < 1000 ms: ${p95 < 1000 ? "yes" : "no"} (${ms(p95)} ms)`,
    );
  }
  return verdicts;
}

// ---------------------------------------------------------------------------------------------
// Database checks and server-side timings.

async function serverTimings(worker: TestWorker, outcomes: JobOutcome[]) {
  const ids = outcomes.flatMap((o) => (o.jobId ? [o.jobId] : []));
  const rows = ids.length
    ? await worker.db
        .select({ createdAt: jobs.createdAt, startedAt: jobs.startedAt, finishedAt: jobs.finishedAt })
        .from(jobs)
        .where(inArray(jobs.id, ids))
    : [];
  const total: number[] = [];
  const queued: number[] = [];
  const running: number[] = [];
  for (const row of rows) {
    if (row.finishedAt) total.push(row.finishedAt.getTime() - row.createdAt.getTime());
    if (row.startedAt) queued.push(row.startedAt.getTime() - row.createdAt.getTime());
    if (row.startedAt && row.finishedAt) running.push(row.finishedAt.getTime() - row.startedAt.getTime());
  }
  return { total, queued, running };
}

type Check = { name: string; value: string | number; ok: boolean };

async function checkInvariants(
  stack: Stack,
  callers: Caller[],
  accepted: JobOutcome[],
  before: Set<string>,
): Promise<Check[]> {
  const { worker } = stack;
  const acceptedIds = new Set(accepted.flatMap((o) => (o.jobId ? [o.jobId] : [])));
  const rows = (
    await worker.db
      .select({ id: jobs.id, status: jobs.status, attempts: jobs.attempts, error: jobs.error })
      .from(jobs)
      .where(
        inArray(
          jobs.ownerId,
          callers.map((c) => c.id),
        ),
      )
  ).filter((row) => !before.has(row.id));
  const byId = new Map(rows.map((row) => [row.id, row]));
  const counts = new Map<string, number>();
  const duplicates = new Map<string, number>();
  for (const chunk of chunks([...acceptedIds], 500)) {
    const found = await worker.db
      .select({ jobId: detections.jobId, rank: detections.rank })
      .from(detections)
      .where(inArray(detections.jobId, chunk));
    const seen = new Set<string>();
    for (const { jobId, rank } of found) {
      counts.set(jobId, (counts.get(jobId) ?? 0) + 1);
      const key = `${jobId}:${rank}`;
      if (seen.has(key)) duplicates.set(jobId, (duplicates.get(jobId) ?? 0) + 1);
      seen.add(key);
    }
  }
  // What GET reports now, for every accepted job, against the rows.
  const mismatched: string[] = [];
  const getFailures: string[] = [];
  const queue = accepted.filter((o) => o.jobId);
  let next = 0;
  const reader = async () => {
    for (let o = queue[next++]; o; o = queue[next++]) {
      const response = await fetch(`${worker.origin}/v1/jobs/${o.jobId}`, {
        headers: { Authorization: o.caller.auth },
        signal: AbortSignal.timeout(30_000),
      }).catch((error: Error) => error);
      if (response instanceof Error || response.status !== 200) {
        getFailures.push(`${o.jobId}: ${response instanceof Error ? response.message : response.status}`);
        continue;
      }
      const job = await readBody(response, JobSchema);
      const reported = job.detections?.length ?? -1;
      const stored = counts.get(o.jobId as string) ?? 0;
      if (
        job.status === "succeeded" &&
        (reported !== stored || (o.reportedDetections !== undefined && o.reportedDetections !== stored))
      )
        mismatched.push(`${o.jobId}: GET ${reported}, wait ${o.reportedDetections}, rows ${stored}`);
    }
  };
  await Promise.all(Array.from({ length: 8 }, reader));

  const acceptedRows = [...acceptedIds].map((id) => byId.get(id));
  const status = (s: string) => acceptedRows.filter((row) => row?.status === s).length;
  const missing = acceptedRows.filter((row) => !row).length;
  const extra = rows.filter((row) => !acceptedIds.has(row.id));
  const repushed = acceptedRows.filter((row) => (row?.attempts ?? 0) > 1).length;
  const failedRows = acceptedRows.filter((row) => row?.status === "failed");
  const checks: Check[] = [
    { name: "accepted jobs (client saw 202)", value: acceptedIds.size, ok: true },
    {
      name: "accepted jobs succeeded in the database",
      value: `${status("succeeded")} / ${acceptedIds.size}`,
      ok: status("succeeded") === acceptedIds.size,
    },
    { name: "accepted jobs failed", value: failedRows.length, ok: failedRows.length === 0 },
    {
      name: "accepted jobs still queued / running (lost)",
      value: `${status("queued")} / ${status("running")}`,
      ok: status("queued") + status("running") === 0,
    },
    { name: "accepted jobs missing from the database", value: missing, ok: missing === 0 },
    {
      name: "jobs in the database without a 202 (half-accepted)",
      value: extra.length,
      ok: extra.length === 0,
    },
    { name: "jobs with a duplicated detection rank", value: duplicates.size, ok: duplicates.size === 0 },
    {
      name: "succeeded jobs whose detection rows ≠ count GET reports",
      value: mismatched.length,
      ok: mismatched.length === 0,
    },
    { name: "GET of an accepted job not 200", value: getFailures.length, ok: getFailures.length === 0 },
    { name: "detections stored, total", value: [...counts.values()].reduce((a, b) => a + b, 0), ok: true },
    { name: "jobs pushed to inference more than once (attempts > 1; info)", value: repushed, ok: true },
  ];
  for (const line of [...mismatched, ...getFailures].slice(0, 5)) console.log(`  ${line}`);
  for (const row of failedRows.slice(0, 5)) console.log(`  failed ${row?.id}: ${row?.error}`);
  for (const row of extra.slice(0, 5)) console.log(`  without a 202: ${row.id} (${row.status})`);
  return checks;
}

function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

type InferenceCounters = Map<string, number>;

async function inferenceCounters(stack: Stack): Promise<InferenceCounters> {
  const counters: InferenceCounters = new Map();
  const metrics = stack.service.metrics;
  for (const value of (await metrics.jobs.get()).values)
    counters.set(`jobs ${value.labels.source}/${value.labels.outcome}`, value.value);
  for (const value of (await metrics.errors.get()).values)
    counters.set(`error ${value.labels.code}`, value.value);
  for (const value of (await metrics.batchSize.get()).values) {
    if (value.metricName === "inference_batch_size_sum") counters.set("images run", value.value);
    if (value.metricName === "inference_batch_size_count") counters.set("model runs", value.value);
  }
  for (const [key, n] of stack.inferenceLog) counters.set(`log ${key}`, n);
  return counters;
}

function printInferenceDelta(before: InferenceCounters, after: InferenceCounters): void {
  const delta = [...after]
    .map(([key, value]) => [key, value - (before.get(key) ?? 0)] as const)
    .filter(([, value]) => value !== 0);
  const runs = delta.find(([key]) => key === "model runs")?.[1] ?? 0;
  const images = delta.find(([key]) => key === "images run")?.[1] ?? 0;
  console.log(
    `\nInference service during the phase: ${delta
      .filter(([key]) => key !== "model runs" && key !== "images run")
      .map(([key, value]) => `${key} ${value}`)
      .join(", ")}; ${images} images in ${runs} model runs (mean batch ${(images / (runs || 1)).toFixed(2)})`,
  );
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const overload = values.overload;
  const baseRate = Number(values.rate ?? 20);
  const rate = overload ? baseRate * 2 : baseRate;
  const seconds = Number(values.seconds);
  const callerCount = Number(values.callers);
  const filmCount = Number(values.films);
  const loneCount = Number(values.lone);
  const drainSeconds = Number(values.drain);
  if (
    ![rate, seconds, callerCount, filmCount].every((n) => n > 0) ||
    !(loneCount >= 0) ||
    !(drainSeconds >= 0)
  )
    throw new Error(
      "--rate, --seconds, --callers and --films must be positive; --lone and --drain at least 0",
    );
  const maxUnfinished = values["max-unfinished"] ?? (overload ? "60" : undefined);

  const started = performance.now();
  const films = await renderFilms(filmCount);
  console.log(
    `${filmCount} films of ${FILM_WIDTH}×${FILM_HEIGHT} rendered (mean ${(films.reduce((a, f) => a + f.length, 0) / films.length / 1024).toFixed(0)} KiB PNG) in ${((performance.now() - started) / 1000).toFixed(1)} s; ${navigator.hardwareConcurrency} cores`,
  );
  const stack = await startStack({
    ...GENEROUS_LIMITS,
    ...(maxUnfinished ? { MAX_UNFINISHED_JOBS: maxUnfinished } : {}),
  });
  const verdicts: string[] = [];
  try {
    const callers = await arrangeCallers(stack.worker, callerCount, films);
    console.log(`${callerCount} callers, ${filmCount} films uploaded each`);
    if (overload) {
      verdicts.push(
        ...(await openLoopPhase(stack, callers, { rate, seconds, drainSeconds, label: "overload" })),
      );
    } else {
      if (loneCount > 0) verdicts.push(...(await lonePhase(stack, callers[0] as Caller, loneCount)));
      verdicts.push(
        ...(await openLoopPhase(stack, callers, { rate, seconds, drainSeconds, label: "open loop" })),
      );
    }
    console.log("\nVerdicts:");
    for (const line of verdicts) console.log(`- ${line}`);
  } finally {
    await stack.dispose();
    await stopSharedServices();
  }
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
