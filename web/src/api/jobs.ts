/** The jobs endpoints the app calls, typed from the edge's jobs schemas. */
import type { JobListQuerySchema } from "@edge/routes/jobs/list-query";
import type { CreateJobsSchema, QueuedJobsSchema } from "@edge/routes/jobs/schema";
import type { DetectionSet } from "@edge/routes/reviews/schema";
import type { z } from "zod";
import { api } from "./instance";
import type { PagedSource } from "./paged-list";
import { pagedSource } from "./paged-source";
import { segment, withQuery } from "./query-string";
import type { Job } from "./types";

export type CreateJobsBody = z.input<typeof CreateJobsSchema>;
/** `GET /v1/jobs`'s filters and order, as its route defines them (paging is the list's own). */
export type JobListQuery = Omit<z.input<typeof JobListQuerySchema>, "limit" | "cursor">;
export type JobSort = NonNullable<JobListQuery["sort"]>;
export type JobExport = { format: "coco" | "yolo"; set: DetectionSet };

/** `POST /v1/jobs`: one queued job per image. */
export const createJobs = (body: CreateJobsBody) =>
  api.call<z.infer<typeof QueuedJobsSchema>>("/v1/jobs", { method: "POST", json: body });

/** `GET /v1/jobs/{id}`; `wait` long-polls up to that many seconds for the job to finish. */
export const getJob = (id: string, query: { wait?: number } = {}) =>
  api.call<Job>(withQuery(`/v1/jobs/${segment(id)}`, query));

/** `GET /v1/jobs`, filtered and sorted by the API (newest first by default). */
export const listJobs = (query: JobListQuery = {}): PagedSource<Job> =>
  pagedSource(withQuery("/v1/jobs", query));

/** How long one long-poll of a running job waits, in seconds. */
const JOB_WAIT_SECONDS = 25;

/** Long-polls until the job has finished (each wait holds no database connection on the edge). */
export async function finishedJob(id: string, onUpdate: (job: Job) => void): Promise<Job> {
  let job = await getJob(id);
  onUpdate(job);
  while (job.status === "queued" || job.status === "running") {
    job = await getJob(id, { wait: JOB_WAIT_SECONDS });
    onUpdate(job);
  }
  return job;
}
