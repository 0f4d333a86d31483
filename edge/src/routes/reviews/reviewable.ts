import type { Db } from "@db/client-worker";
import { images, jobs } from "@db/schema";
import { ApiError } from "@edge/errors";
import { and, eq } from "drizzle-orm";
import { jobWithImage } from "../jobs/owned";

/** The caller's succeeded job with its image: 404 for anyone else's, 409 while it has no result. */
export async function reviewableJob(db: Db, ownerId: string, id: string) {
  const [row] = await db
    .select(jobWithImage)
    .from(jobs)
    .innerJoin(images, eq(images.id, jobs.imageId))
    .where(and(eq(jobs.id, id), eq(jobs.ownerId, ownerId)));
  if (!row) throw new ApiError("not_found", "Job not found");
  if (row.job.status !== "succeeded") {
    throw new ApiError("job_not_finished", "Only succeeded jobs have detections to review", {
      details: { status: row.job.status },
    });
  }
  return row;
}
