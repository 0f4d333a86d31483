/**
 * What a run left behind, read from the database after the drain: whether every accepted job
 * succeeded exactly once, what is still pending, and where each job's time went (the timestamps
 * the edge stamps at creation, claim and result, and the stage timings inference reports).
 */
import { detections, jobs } from "@db/schema";
import { JobSchema } from "@edge/routes/jobs/schema";
import { readBody } from "@scripts/testing/responses";
import { inArray } from "drizzle-orm";
import { percentile } from "../stats";
import type { JobOutcome } from "./load";
import type { Caller, Stack } from "./stack";

export type DatabaseCheck = {
  accepted: number;
  /** Succeeded in the database, one detection row per rank, as many as GET reports. */
  succeededOnce: number;
  failed: number;
  /** Accepted jobs still queued or running after the drain. */
  pending: number;
  missing: number;
  /** Jobs in the database whose creation the client never saw a 202 for. */
  withoutAccept: number;
  /** Accepted jobs whose `GET` after the drain was not 200. */
  getFailures: number;
  /** Accepted jobs claimed more than once (attempts > 1): redelivered, not a duplicate effect. */
  redelivered: number;
  /** A few lines on what went wrong, for the report. */
  problems: string[];
};

type JobRow = {
  id: string;
  status: string;
  attempts: number;
  error: string | null;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  timings: Record<string, number> | null;
};

function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** The run's jobs: those of `callers` that were not there before it. */
export async function runJobs(stack: Stack, callers: Caller[], before: Set<string>): Promise<JobRow[]> {
  const rows = await stack.db
    .select({
      id: jobs.id,
      status: jobs.status,
      attempts: jobs.attempts,
      error: jobs.error,
      createdAt: jobs.createdAt,
      startedAt: jobs.startedAt,
      finishedAt: jobs.finishedAt,
      timings: jobs.timings,
    })
    .from(jobs)
    .where(
      inArray(
        jobs.ownerId,
        callers.map((c) => c.id),
      ),
    );
  return rows.filter((row) => !before.has(row.id));
}

/** Detection rows per job, and the jobs with a rank stored twice. */
async function detectionCounts(stack: Stack, ids: string[]) {
  const counts = new Map<string, number>();
  const duplicated = new Set<string>();
  for (const chunk of chunks(ids, 500)) {
    const found = await stack.db
      .select({ jobId: detections.jobId, rank: detections.rank })
      .from(detections)
      .where(inArray(detections.jobId, chunk));
    const seen = new Set<string>();
    for (const { jobId, rank } of found) {
      counts.set(jobId, (counts.get(jobId) ?? 0) + 1);
      if (seen.has(`${jobId}:${rank}`)) duplicated.add(jobId);
      seen.add(`${jobId}:${rank}`);
    }
  }
  return { counts, duplicated };
}

/** Jobs whose `GET` now disagrees with their detection rows (or with what the wait reported), and whose `GET` failed. */
async function getMismatches(stack: Stack, accepted: JobOutcome[], counts: Map<string, number>) {
  const bad = new Set<string>();
  const failed = new Set<string>();
  const queue = accepted.filter((o) => o.jobId);
  let next = 0;
  const reader = async () => {
    for (let o = queue[next++]; o; o = queue[next++]) {
      const id = o.jobId as string;
      const response = await fetch(`${stack.origin}/v1/jobs/${id}`, {
        headers: { Authorization: o.caller.auth },
        signal: AbortSignal.timeout(30_000),
      }).catch(() => undefined);
      if (response?.status !== 200) {
        await response?.arrayBuffer();
        failed.add(id);
        continue;
      }
      const job = await readBody(response, JobSchema);
      const stored = counts.get(id) ?? 0;
      const reported = job.detections?.length ?? -1;
      if (job.status === "succeeded" && (reported !== stored || (o.reportedDetections ?? stored) !== stored))
        bad.add(id);
    }
  };
  await Promise.all(Array.from({ length: 8 }, reader));
  return { mismatched: bad, getFailed: failed };
}

export async function checkDatabase(
  stack: Stack,
  accepted: JobOutcome[],
  rows: JobRow[],
): Promise<DatabaseCheck> {
  const acceptedIds = new Set(accepted.flatMap((o) => (o.jobId ? [o.jobId] : [])));
  const byId = new Map(rows.map((row) => [row.id, row]));
  const { counts, duplicated } = await detectionCounts(stack, [...acceptedIds]);
  const { mismatched, getFailed } = await getMismatches(stack, accepted, counts);
  const acceptedRows = [...acceptedIds].flatMap((id) => byId.get(id) ?? []);
  const succeededOnce = acceptedRows.filter(
    (row) => row.status === "succeeded" && !duplicated.has(row.id) && !mismatched.has(row.id),
  );
  const failed = acceptedRows.filter((row) => row.status === "failed");
  const pending = acceptedRows.filter((row) => row.status === "queued" || row.status === "running");
  const withoutAccept = rows.filter((row) => !acceptedIds.has(row.id));
  const problems = [
    ...failed.slice(0, 3).map((row) => `failed ${row.id}: ${row.error}`),
    ...pending.slice(0, 3).map((row) => `pending ${row.id}: ${row.status}, attempts ${row.attempts}`),
    ...[...duplicated].slice(0, 3).map((id) => `duplicated detection rank: ${id}`),
    ...[...mismatched].slice(0, 3).map((id) => `GET disagrees with the detection rows: ${id}`),
    ...[...getFailed].slice(0, 3).map((id) => `GET after the drain not 200: ${id}`),
    ...withoutAccept.slice(0, 3).map((row) => `in the database without a 202: ${row.id} (${row.status})`),
  ];
  return {
    accepted: acceptedIds.size,
    succeededOnce: succeededOnce.length,
    failed: failed.length,
    pending: pending.length,
    missing: acceptedIds.size - acceptedRows.length,
    withoutAccept: withoutAccept.length,
    redelivered: acceptedRows.filter((row) => row.attempts > 1).length,
    getFailures: getFailed.size,
    problems,
  };
}

/** Where the time of the run's finished jobs went, ms: one row per stage, p50 / p90 / p99. */
export function timeBreakdown(rows: JobRow[]): Array<[string, number[]]> {
  const finished = rows.filter((row) => row.startedAt && row.finishedAt);
  const at = (row: JobRow, key: string) => row.timings?.[key] ?? Number.NaN;
  const span = (from: Date | null, to: Date | null) => (to?.getTime() ?? 0) - (from?.getTime() ?? 0);
  const stage = (name: string, of: (row: JobRow) => number): [string, number[]] => [
    name,
    finished.map(of).filter((v) => Number.isFinite(v)),
  ];
  return [
    stage("created → finished (server)", (r) => span(r.createdAt, r.finishedAt)),
    stage("created → claimed (queue, forward, pull, claim)", (r) => span(r.createdAt, r.startedAt)),
    stage("claimed → finished", (r) => span(r.startedAt, r.finishedAt)),
    stage("  image fetch (presigned)", (r) => at(r, "fetchMs")),
    stage("  decode", (r) => at(r, "decodeMs")),
    stage("  preprocess", (r) => at(r, "preprocessMs")),
    stage("  model run", (r) => at(r, "runMs")),
    stage("  postprocess", (r) => at(r, "postprocessMs")),
    stage("  inference total (with waits for a slot)", (r) => at(r, "totalMs")),
    stage("  rest: claim answer, result callback", (r) => span(r.startedAt, r.finishedAt) - at(r, "totalMs")),
  ];
}

export const spreadMs = (samples: number[]) =>
  samples.length === 0 ? ["–", "–", "–"] : [50, 90, 99].map((p) => percentile(samples, p).toFixed(0));
