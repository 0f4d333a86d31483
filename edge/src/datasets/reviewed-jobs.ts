import type { Db } from "@db/client-worker";
import { images, jobReviews, jobs } from "@db/schema";
import { and, desc, eq, gt, gte, inArray, lte } from "drizzle-orm";
import { ApiError } from "../errors";

/** Which jobs a version is made from: listed by id, or matched among the caller's succeeded jobs. */
export type JobSelection =
  | string[]
  | { status: "succeeded"; reviewed: boolean; since?: string; until?: string; model?: string };

const selected = {
  jobId: jobs.id,
  status: jobs.status,
  finishedAt: jobs.finishedAt,
  image: {
    id: images.id,
    objectKey: images.objectKey,
    filename: images.filename,
    sha256: images.sha256,
    bytes: images.bytes,
    format: images.format,
    width: images.width,
    height: images.height,
    bitDepth: images.bitDepth,
  },
};

export type SelectedImage = {
  id: string;
  objectKey: string;
  filename: string | null;
  sha256: string;
  bytes: number;
  format: (typeof images.$inferSelect)["format"];
  width: number;
  height: number;
  bitDepth: number;
};
export type SelectedJob = { jobId: string; image: SelectedImage };

function tooMany(max: number, hint: string): ApiError {
  return new ApiError("too_many_images", `At most ${max} jobs per dataset version; ${hint}`, {
    details: { limit: max },
  });
}

/**
 * The caller's jobs, newest finished first. Listed ids: 404 names those not among the caller's
 * (another owner's look the same as none), 409 those not succeeded. A filter matches succeeded
 * jobs only, reviewed ones (review version above 0) unless `reviewed` is false.
 */
export async function selectJobs(
  db: Db,
  ownerId: string,
  selection: JobSelection,
  maxJobs: number,
): Promise<SelectedJob[]> {
  if (Array.isArray(selection)) {
    const ids = [...new Set(selection)];
    if (ids.length > maxJobs) throw tooMany(maxJobs, `got ${ids.length}`);
    const rows = await db
      .select(selected)
      .from(jobs)
      .innerJoin(images, eq(images.id, jobs.imageId))
      .where(and(eq(jobs.ownerId, ownerId), inArray(jobs.id, ids)))
      .orderBy(desc(jobs.finishedAt), desc(jobs.id));
    const found = new Set(rows.map((row) => row.jobId));
    const missing = ids.filter((id) => !found.has(id));
    if (missing.length) throw new ApiError("not_found", "Job not found", { details: { jobIds: missing } });
    const unfinished = rows.filter((row) => row.status !== "succeeded").map((row) => row.jobId);
    if (unfinished.length) {
      throw new ApiError("job_not_finished", "Datasets are made from succeeded jobs only", {
        details: { jobIds: unfinished },
      });
    }
    return rows;
  }
  const query = db.select(selected).from(jobs).innerJoin(images, eq(images.id, jobs.imageId));
  const conditions = and(
    eq(jobs.ownerId, ownerId),
    eq(jobs.status, "succeeded"),
    selection.since ? gte(jobs.finishedAt, new Date(selection.since)) : undefined,
    selection.until ? lte(jobs.finishedAt, new Date(selection.until)) : undefined,
    selection.model ? eq(jobs.model, selection.model) : undefined,
  );
  const rows = await (selection.reviewed
    ? query.innerJoin(jobReviews, and(eq(jobReviews.jobId, jobs.id), gt(jobReviews.version, 0)))
    : query
  )
    .where(conditions)
    .orderBy(desc(jobs.finishedAt), desc(jobs.id))
    .limit(maxJobs + 1);
  if (rows.length > maxJobs) throw tooMany(maxJobs, "narrow the filter (since, until, model)");
  return rows;
}
