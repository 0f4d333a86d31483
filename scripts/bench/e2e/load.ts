/**
 * Jobs as clients run them: create, then await with `GET /v1/jobs/{id}?wait=20` until the job
 * has finished or the run's deadline passes. An open loop launches creations on a fixed schedule
 * whatever the answers do; every request has a client timeout, and one that runs into it is a
 * hung request.
 */
import { JobSchema, QueuedJobsSchema } from "@edge/routes/jobs/schema";
import { readBody, readError } from "@scripts/testing/responses";
import type { Caller } from "./stack";

/** The clients wait this long per request. */
export const WAIT_SECONDS = 20;
/** A creation unanswered after this is hung. */
const CREATE_TIMEOUT_MS = 30_000;
/** A wait unanswered this long past its `wait` is hung. */
const WAIT_GRACE_MS = 10_000;
/** Open sessions (creation plus its waits) beyond which scheduled creations are dropped. */
const MAX_OPEN_SESSIONS = 3000;

export type JobOutcome = {
  scheduledAt: number;
  caller: Caller;
  /** HTTP status of the creation, or "hung" / "network". */
  created: number | string;
  /** performance.now() when the creation was answered. */
  createdAt?: number;
  /** `error.code` of a refused creation. */
  refusedCode?: string;
  /** `details.basis` and `reason` of a `backlog_full` refusal: what admission's decision rested on. */
  refusedBasis?: string;
  retryAfter?: string | null;
  jobId?: string;
  /** Last status the client saw. */
  status?: string;
  /** performance.now() when the client saw the job succeeded. */
  succeededAt?: number;
  reportedDetections?: number;
  /** Answers ≥ 500 that are not a refusal of a creation (503/429 with an error code and Retry-After). */
  fiveXx: number;
  /** Requests that ran into their client timeout. */
  hung: number;
  /** Requests the network broke off. */
  broken: number;
};

/** A refusal is the product's overload answer: 503 or 429 with its error code and Retry-After. */
export const isRefusal = (o: JobOutcome) =>
  (o.created === 503 || o.created === 429) && o.refusedCode !== "?" && Boolean(o.retryAfter);

const isTimeout = (error: unknown) => error instanceof Error && error.name === "TimeoutError";

/**
 * Requests that hung or that the network broke off, by request, what the client said and the
 * ten seconds of the run they started in, since the last `takeNetworkErrors`.
 */
let networkErrors = new Map<string, number>();
let runStart = 0;
function brokenOff(outcome: JobOutcome, error: unknown, request: string, startedAt: number): void {
  if (isTimeout(error)) outcome.hung++;
  else outcome.broken++;
  const what = error instanceof Error ? `${error.name} ${error.message}`.slice(0, 120) : String(error);
  const second = Math.floor((startedAt - runStart) / 10_000) * 10;
  const key = `${request} ${isTimeout(error) ? "hung" : "broken off"} (${what}) started at ${second}–${second + 10} s`;
  networkErrors.set(key, (networkErrors.get(key) ?? 0) + 1);
}
export function takeNetworkErrors(): Map<string, number> {
  const taken = networkErrors;
  networkErrors = new Map();
  return taken;
}

/**
 * Creations go on connections of their own. The local edge (workerd) closes a keep-alive
 * connection after 5.0 s idle (measured), while the client pools idle connections for 300 s: a
 * creation sent on one just as workerd closes it is reset before any answer, and a POST without
 * an `Idempotency-Key` cannot be retried blind. Those resets are the client pool's, not the
 * stack's (Cloudflare's front holds client connections in production), so the bench's creations
 * do not reuse connections; the long-polls do.
 */
const creations = new Bun.FetchSession({ keepAlive: false });

async function create(origin: string, outcome: JobOutcome, imageId: string): Promise<boolean> {
  const startedAt = performance.now();
  try {
    const response = await creations.fetch(`${origin}/v1/jobs`, {
      method: "POST",
      headers: { Authorization: outcome.caller.auth, "Content-Type": "application/json" },
      body: JSON.stringify({ imageId }),
      signal: AbortSignal.timeout(CREATE_TIMEOUT_MS),
    });
    outcome.created = response.status;
    outcome.createdAt = performance.now();
    if (response.status !== 202) {
      outcome.retryAfter = response.headers.get("Retry-After");
      const error = await readError(response).catch(() => undefined);
      outcome.refusedCode = error?.code ?? "?";
      const details = error?.details as { basis?: unknown; reason?: unknown } | undefined;
      if (typeof details?.basis === "string") outcome.refusedBasis = `${details.basis} (${details.reason})`;
      if (response.status >= 500 && !isRefusal(outcome)) outcome.fiveXx++;
      return false;
    }
    const [job] = (await readBody(response, QueuedJobsSchema)).jobs;
    outcome.jobId = job?.id;
    outcome.status = job?.status;
    return outcome.jobId !== undefined;
  } catch (error) {
    outcome.created = isTimeout(error) ? "hung" : "network";
    brokenOff(outcome, error, "create", startedAt);
    return false;
  }
}

export async function runJob(
  origin: string,
  caller: Caller,
  imageId: string,
  scheduledAt: number,
  deadline: number,
): Promise<JobOutcome> {
  const outcome: JobOutcome = { scheduledAt, caller, created: "network", fiveXx: 0, hung: 0, broken: 0 };
  if (!(await create(origin, outcome, imageId))) return outcome;
  while (outcome.status !== "succeeded" && outcome.status !== "failed") {
    const left = Math.floor((deadline - performance.now()) / 1000);
    if (left < 1) break;
    const wait = Math.min(WAIT_SECONDS, left);
    const startedAt = performance.now();
    try {
      const response = await fetch(`${origin}/v1/jobs/${outcome.jobId}?wait=${wait}`, {
        headers: { Authorization: caller.auth },
        signal: AbortSignal.timeout(wait * 1000 + WAIT_GRACE_MS),
      });
      if (response.status !== 200) {
        if (response.status >= 500) outcome.fiveXx++;
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
      brokenOff(outcome, error, "wait", startedAt);
      await Bun.sleep(500);
    }
  }
  return outcome;
}

export type OpenLoopOptions = {
  rate: number;
  seconds: number;
  drainSeconds: number;
  label: string;
  /** Called once, `atSecond` seconds into the run. */
  at?: { atSecond: number; run: () => void };
};

export type OpenLoopResult = {
  outcomes: JobOutcome[];
  /** `GET /health` (no database) every 200 ms while creations run: workerd's own delay, ms. */
  health: number[];
  dropped: number;
  startAt: number;
  /** Seconds the creations took to launch (the schedule's length, unless the client fell behind). */
  creationSeconds: number;
};

/** Creations at `rate` per second for `seconds`, round-robin over the callers and their films. */
export async function openLoop(
  origin: string,
  callers: Caller[],
  options: OpenLoopOptions,
): Promise<OpenLoopResult> {
  const total = Math.round(options.rate * options.seconds);
  const intervalMs = 1000 / options.rate;
  const startAt = performance.now() + 5;
  runStart = startAt;
  const deadline = startAt + (options.seconds + options.drainSeconds) * 1000;
  const pending = new Set<Promise<JobOutcome>>();
  const outcomes: JobOutcome[] = [];
  let dropped = 0;
  const launch = (index: number, scheduledAt: number) => {
    if (pending.size >= MAX_OPEN_SESSIONS) {
      dropped++;
      return;
    }
    const caller = callers[index % callers.length] as Caller;
    const imageId = caller.images[Math.floor(index / callers.length) % caller.images.length] as string;
    const session = runJob(origin, caller, imageId, scheduledAt, deadline).then((outcome) => {
      outcomes.push(outcome);
      pending.delete(session);
      return outcome;
    });
    pending.add(session);
  };
  const progress = setInterval(() => {
    const accepted = outcomes.filter((o) => o.created === 202).length;
    process.stderr.write(
      `  ${options.label}: ${((performance.now() - startAt) / 1000).toFixed(0)} s, open ${pending.size}, ` +
        `finished sessions ${outcomes.length} (${accepted} accepted)\n`,
    );
  }, 10_000);
  const at = options.at;
  const timer = at
    ? setTimeout(at.run, Math.max(0, startAt + at.atSecond * 1000 - performance.now()))
    : undefined;
  const health: number[] = [];
  const probing = probeHealth(origin, startAt + options.seconds * 1000, health);
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
  await probing;
  // Sessions end by the deadline plus one request timeout at the latest.
  while (pending.size > 0) await Promise.all([...pending]);
  clearInterval(progress);
  clearTimeout(timer);
  return { outcomes, health, dropped, startAt, creationSeconds };
}

async function probeHealth(origin: string, until: number, latencies: number[]): Promise<void> {
  while (performance.now() < until) {
    const started = performance.now();
    const answered = await fetch(`${origin}/health`, { signal: AbortSignal.timeout(10_000) }).then(
      async (response) => {
        await response.arrayBuffer();
        return response.ok;
      },
      () => false,
    );
    if (answered) latencies.push(performance.now() - started);
    await Bun.sleep(Math.max(0, 200 - (performance.now() - started)));
  }
}
