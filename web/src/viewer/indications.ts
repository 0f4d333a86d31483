import type { ApiClient } from "../api/client";
import { ApiFailure, failureOf } from "../api/client";
import type { Job, JobReview, ReviewAction } from "../api/types";
import type { Box } from "./geometry";

/**
 * What the viewer shows and reviews: the review's indications when the job has a review, else
 * the job's detections as the model gave them (not reviewable).
 */
export type Indication = {
  key: string;
  source: "model" | "reviewer";
  decision: "pending" | "accepted" | "rejected";
  classId: number;
  label: string;
  box: Box;
  /** The model's score; drawn boxes have none and pass every confidence threshold. */
  score: number | null;
  note: string | null;
};

/** Keys of the job's own detections (`detection-<rank>`), before the review has loaded. */
export const JOB_DETECTION_KEY = "detection-";

export function fromJob(job: Job): Indication[] {
  return (job.detections ?? []).map((detection, index) => ({
    key: `${JOB_DETECTION_KEY}${index}`,
    source: "model",
    decision: "pending",
    classId: detection.classId,
    label: detection.label,
    box: detection.box,
    score: detection.score,
    note: null,
  }));
}

export function fromReview(review: JobReview): Indication[] {
  return review.items.map((item) => ({
    key: item.id,
    source: item.source,
    decision: item.decision,
    classId: item.classId,
    label: item.label,
    box: item.box,
    score: item.score,
    note: item.note,
  }));
}

export type ReviewState = { review: JobReview; etag: string };

/** Reads a job's review with its version (ETag), needed to change it. */
export async function loadReview(api: ApiClient, jobId: string): Promise<ReviewState> {
  const response = await api.request(`/v1/jobs/${jobId}/review`);
  if (!response.ok) throw await failureOf(response);
  return { review: (await response.json()) as JobReview, etag: response.headers.get("etag") ?? '"0"' };
}

/**
 * Applies review actions against the version the reviewer saw. When someone else changed the
 * review meanwhile (412) the caller gets the failure and reloads; nothing is overwritten blindly.
 */
export async function applyActions(
  api: ApiClient,
  jobId: string,
  etag: string,
  actions: ReviewAction[],
): Promise<ReviewState> {
  const response = await api.request(`/v1/jobs/${jobId}/review/actions`, {
    method: "POST",
    headers: { "if-match": etag },
    json: { actions },
  });
  if (!response.ok) throw await failureOf(response);
  return { review: (await response.json()) as JobReview, etag: response.headers.get("etag") ?? etag };
}

export const isStale = (error: unknown) =>
  error instanceof ApiFailure && error.code === "precondition_failed";
