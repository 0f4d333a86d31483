/** The product calls the fine-tuning bench makes: uploads, jobs, reviews, datasets. Every body is parsed by schema. */
import { DatasetSchema } from "@edge/routes/datasets/schema";
import { ImageSchema } from "@edge/routes/images/schema";
import { JobSchema, QueuedJobsSchema } from "@edge/routes/jobs/schema";
import { EvaluationSchema } from "@edge/routes/models/evaluation-schema";
import { JobReviewSchema, type ReviewAction, ReviewActionsResultSchema } from "@edge/routes/reviews/schema";
import { jsonHeaders, splitDataset } from "@scripts/testing/lifecycle-fixtures";
import { readBody } from "@scripts/testing/responses";
import type { TestWorker } from "@scripts/testing/test-worker";
import type { z } from "zod";

type Edge = Pick<TestWorker, "fetch">;
export type Job = z.infer<typeof JobSchema>;
export type Review = z.infer<typeof JobReviewSchema>;
export type Evaluation = z.infer<typeof EvaluationSchema>;

/** `POST /v1/jobs` takes at most MAX_IMAGES_PER_JOB_REQUEST (100) images. */
const JOBS_PER_REQUEST = 100;
/**
 * Jobs queued at once: a strip is 20–60 tiles, and a larger burst overruns the service's admission
 * queue on a 2-core machine, whose `queue_full` retries then spend the messages' deliveries.
 */
const JOBS_IN_FLIGHT = 4;
/** Attempts at a dataset split that leaves neither side empty (a few films split by hash). */
const SPLIT_ATTEMPTS = 8;

export async function uploadImage(edge: Edge, auth: string, png: Uint8Array): Promise<string> {
  const response = await edge.fetch("/v1/images", {
    method: "POST",
    headers: { Authorization: auth, "Content-Type": "image/png", "Content-Length": String(png.length) },
    body: png,
  });
  return (await readBody(response, ImageSchema)).id;
}

/** Queues one job per image on `model` with `conf`; answers the job ids in image order. */
export async function createJobs(
  edge: Edge,
  auth: string,
  imageIds: readonly string[],
  params: { model: string; conf?: number },
): Promise<string[]> {
  const ids: string[] = [];
  for (let at = 0; at < imageIds.length; at += JOBS_PER_REQUEST) {
    const response = await edge.fetch("/v1/jobs", {
      method: "POST",
      headers: jsonHeaders(auth),
      body: JSON.stringify({ imageIds: imageIds.slice(at, at + JOBS_PER_REQUEST), ...params }),
    });
    ids.push(...(await readBody(response, QueuedJobsSchema)).jobs.map((job) => job.id));
  }
  return ids;
}

/** Each job once it ended (long-polled), in order; fails on a failed job or after `boundMs` in all. */
export async function finishedJobs(edge: Edge, auth: string, ids: readonly string[], boundMs: number) {
  const deadline = Date.now() + boundMs;
  const jobs: Job[] = [];
  for (const id of ids) {
    for (;;) {
      const response = await edge.fetch(`/v1/jobs/${id}?wait=30`, { headers: { Authorization: auth } });
      const job = await readBody(response, JobSchema);
      if (job.status === "succeeded") {
        jobs.push(job);
        break;
      }
      if (job.status === "failed") throw new Error(`job ${id} failed: ${JSON.stringify(job.error)}`);
      if (Date.now() > deadline) throw new Error(`job ${id} still ${job.status} after ${boundMs / 1000} s`);
    }
  }
  return jobs;
}

export async function getReview(edge: Edge, auth: string, jobId: string) {
  const response = await edge.fetch(`/v1/jobs/${jobId}/review`, { headers: { Authorization: auth } });
  const etag = response.headers.get("etag");
  const review = await readBody(response, JobReviewSchema);
  if (etag === null) throw new Error(`the review of ${jobId} came without an ETag`);
  return { etag, review };
}

/** Applies actions in requests of at most `perRequest`, each at the review's current ETag. */
export async function applyReview(
  edge: Edge,
  auth: string,
  jobId: string,
  actions: readonly ReviewAction[],
  perRequest: number,
) {
  let { etag } = await getReview(edge, auth, jobId);
  for (let at = 0; at < actions.length; at += perRequest) {
    const response = await edge.fetch(`/v1/jobs/${jobId}/review/actions`, {
      method: "POST",
      headers: { ...jsonHeaders(auth), "If-Match": etag },
      body: JSON.stringify({ actions: actions.slice(at, at + perRequest) }),
    });
    const next = response.headers.get("etag");
    await readBody(response, ReviewActionsResultSchema);
    etag = next ?? (await getReview(edge, auth, jobId)).etag;
  }
}

/** Jobs on `imageIds` a few at a time, each window waited for: the finished jobs, in image order. */
export async function runJobs(
  edge: Edge,
  auth: string,
  imageIds: readonly string[],
  params: { model: string; conf?: number },
  boundMs: number,
): Promise<Job[]> {
  const deadline = Date.now() + boundMs;
  const jobs: Job[] = [];
  for (let at = 0; at < imageIds.length; at += JOBS_IN_FLIGHT) {
    const ids = await createJobs(edge, auth, imageIds.slice(at, at + JOBS_IN_FLIGHT), params);
    jobs.push(...(await finishedJobs(edge, auth, ids, Math.max(0, deadline - Date.now()))));
  }
  return jobs;
}

/** A dataset of reviewed jobs with both splits non-empty: the split seed is tried a few times. */
export async function datasetFromJobs(edge: Edge, auth: string, name: string, jobIds: readonly string[]) {
  let lastError: unknown;
  for (let attempt = 0; attempt < SPLIT_ATTEMPTS; attempt++) {
    const response = await edge.fetch("/v1/datasets", {
      method: "POST",
      headers: jsonHeaders(auth),
      body: JSON.stringify({ name, fromJobs: jobIds, seed: `split-${attempt}`, valFraction: 0.2 }),
    });
    const dataset = await readBody(response, DatasetSchema);
    try {
      return { ...splitDataset(dataset), splitSeed: `split-${attempt}` };
    } catch (error) {
      lastError = error;
    }
  }
  throw new Error(`no split seed of ${SPLIT_ATTEMPTS} gave both splits images: ${String(lastError)}`);
}

/** A version's own evaluation (its dataset's val split) once it ended, or null after `boundMs`. */
export async function versionEvaluation(
  edge: Edge,
  auth: string,
  ref: { name: string; version: number },
  boundMs: number,
): Promise<Evaluation | null> {
  const deadline = Date.now() + boundMs;
  for (;;) {
    const response = await edge.fetch(`/v1/models/${ref.name}/versions/${ref.version}/evaluation`, {
      headers: { Authorization: auth },
    });
    const evaluation = await readBody(response, EvaluationSchema);
    if (evaluation.status === "succeeded" || evaluation.status === "failed") return evaluation;
    if (Date.now() > deadline) return null;
    await Bun.sleep(1_000);
  }
}
