import { images } from "@db/schema";
import { JobReviewSchema, ReviewActionsResultSchema } from "@edge/routes/reviews/schema";
import { eq } from "drizzle-orm";
import { insertImage, insertJob, postResult, succeededResult } from "./job-fixtures";
import type { TestWorker } from "./test-worker";

/**
 * A succeeded job with the fixture result's two detections (porosity 0.91, crack 0.42) on a
 * 640×480 image, finished through the real result callback. `bytes` and `format` store a real
 * image for reports.
 */
export async function succeededJob(
  worker: TestWorker,
  ownerId: string,
  options: {
    bytes?: Uint8Array;
    format?: "png" | "jpeg";
    detections?: ReturnType<typeof succeededResult>["detections"];
  } = {},
): Promise<{ jobId: string; imageId: string; objectKey: string }> {
  const image = await insertImage(worker, ownerId, options.bytes ? { bytes: options.bytes } : {});
  if (options.format && options.format !== "png") {
    await worker.db.update(images).set({ format: options.format }).where(eq(images.id, image.id));
  }
  const jobId = await insertJob(worker, ownerId, image.id);
  const result = succeededResult(jobId, options.detections ? { detections: options.detections } : {});
  const response = await postResult(worker, jobId, result);
  if (response.status !== 200)
    throw new Error(`result callback answered ${response.status}: ${await response.text()}`);
  return { jobId, imageId: image.id, objectKey: image.objectKey };
}

export async function getReview(worker: TestWorker, auth: string, jobId: string) {
  const response = await worker.fetch(`/v1/jobs/${jobId}/review`, { headers: { Authorization: auth } });
  if (response.status !== 200)
    throw new Error(`review answered ${response.status}: ${await response.text()}`);
  return {
    etag: response.headers.get("etag") as string,
    review: JobReviewSchema.parse(await response.json()),
  };
}

export function postReviewActions(
  worker: TestWorker,
  auth: string,
  jobId: string,
  actions: unknown[],
  ifMatch?: string,
) {
  return worker.fetch(`/v1/jobs/${jobId}/review/actions`, {
    method: "POST",
    headers: {
      Authorization: auth,
      "Content-Type": "application/json",
      ...(ifMatch === undefined ? {} : { "If-Match": ifMatch }),
    },
    body: JSON.stringify({ actions }),
  });
}

/** Applies actions at the review's current version; fails unless they were accepted. */
export async function review(worker: TestWorker, auth: string, jobId: string, actions: unknown[]) {
  const { etag } = await getReview(worker, auth, jobId);
  const response = await postReviewActions(worker, auth, jobId, actions, etag);
  if (response.status !== 200)
    throw new Error(`review actions answered ${response.status}: ${await response.text()}`);
  return ReviewActionsResultSchema.parse(await response.json());
}
