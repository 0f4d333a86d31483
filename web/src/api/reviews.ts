/** The review endpoints the app calls, typed from the edge's review schemas. */
import type { ReviewActionsResultSchema, ReviewActionsSchema } from "@edge/routes/reviews/schema";
import type { z } from "zod";
import { ApiFailure, failureOf } from "./client";
import { api } from "./instance";
import { segment } from "./query-string";
import type { JobReview } from "./types";

export type ReviewActionsBody = z.input<typeof ReviewActionsSchema>;
/** A review with its version (ETag), which every change must name. */
export type ReviewState = { review: JobReview; etag: string };

/** `GET /v1/jobs/{id}/review`, with its version. */
export async function getReview(jobId: string): Promise<ReviewState> {
  const response = await api.request(`/v1/jobs/${segment(jobId)}/review`);
  if (!response.ok) throw await failureOf(response);
  return { review: (await response.json()) as JobReview, etag: response.headers.get("etag") ?? '"0"' };
}

/**
 * `POST /v1/jobs/{id}/review/actions` against the version the reviewer saw (`If-Match`). When
 * someone else changed the review meanwhile (412) the caller gets the failure and reloads;
 * nothing is overwritten blindly.
 */
export async function postReviewActions(
  jobId: string,
  etag: string,
  body: ReviewActionsBody,
): Promise<ReviewState> {
  const response = await api.request(`/v1/jobs/${segment(jobId)}/review/actions`, {
    method: "POST",
    headers: { "if-match": etag },
    json: body,
  });
  if (!response.ok) throw await failureOf(response);
  const review = (await response.json()) as z.infer<typeof ReviewActionsResultSchema>;
  return { review, etag: response.headers.get("etag") ?? etag };
}

/** The review changed since the version an action named. */
export const isStale = (error: unknown) =>
  error instanceof ApiFailure && error.code === "precondition_failed";
