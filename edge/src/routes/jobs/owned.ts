import type { Db } from "@db/client-worker";
import { detections, images, jobs } from "@db/schema";
import { ApiError } from "@edge/errors";
import { and, asc, eq } from "drizzle-orm";

/** Columns of a job joined with the image facts its views and exports need. */
export const jobWithImage = {
  job: jobs,
  image: {
    id: images.id,
    width: images.width,
    height: images.height,
    filename: images.filename,
    weldId: images.weldId,
    partId: images.partId,
    pixelSizeMm: images.pixelSizeMm,
  },
};

/** The caller's job with its image, or 404 for anyone else's (never 403: ids reveal nothing). */
export async function ownedJobRow(db: Db, ownerId: string, id: string) {
  const [row] = await db
    .select(jobWithImage)
    .from(jobs)
    .innerJoin(images, eq(images.id, jobs.imageId))
    .where(and(eq(jobs.id, id), eq(jobs.ownerId, ownerId)));
  if (!row) throw new ApiError("not_found", "Job not found");
  return row;
}

/** The caller's job with its image (and detections once it succeeded), or 404 for anyone else. */
export async function ownedJob(db: Db, ownerId: string, id: string) {
  const row = await ownedJobRow(db, ownerId, id);
  const found =
    row.job.status === "succeeded"
      ? await db.select().from(detections).where(eq(detections.jobId, id)).orderBy(asc(detections.rank))
      : undefined;
  return { ...row, detections: found };
}
