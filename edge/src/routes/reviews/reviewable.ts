import type { Db } from "@db/client-worker";
import { ApiError } from "@edge/errors";
import { ownedJobRow } from "../jobs/owned";

/** The caller's succeeded job with its image: 404 for anyone else's, 409 while it has no result. */
export async function reviewableJob(db: Db, ownerId: string, id: string) {
  const row = await ownedJobRow(db, ownerId, id);
  if (row.job.status !== "succeeded") {
    throw new ApiError("job_not_finished", "Only succeeded jobs have detections to review", {
      details: { status: row.job.status },
    });
  }
  return row;
}
