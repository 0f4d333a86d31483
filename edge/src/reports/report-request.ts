import type { AcceptanceCriterion } from "@common/acceptance";
import type { FilmCalibration, ReportAssessment, ReportWeld } from "@common/inspection-report";
import type { ImagePixelSize, PixelSize } from "@common/measurements";
import type { Db } from "@db/client-worker";
import { images, type JobParams, jobs, type ReportJob } from "@db/schema";
import { ApiError } from "@edge/errors";
import { and, eq, inArray } from "drizzle-orm";
import { loadReviews } from "../reviews/reviewed-set";
import { assessReport } from "./assessment";

/** What both issuing a report and assessing jobs without issuing are asked. */
export type ReportRequest = {
  jobIds: string[];
  acceptance: AcceptanceCriterion;
  weld: ReportWeld;
  weldId?: string;
  pixelSizeMm?: PixelSize;
  pixelSizeMmByJob?: Record<string, PixelSize>;
};

/** The film's own (DICONDE) calibration: the image's pixel size itself, or the one a stated value replaced. */
function filmCalibration(own: ImagePixelSize | null): FilmCalibration | null {
  if (!own) return null;
  if (own.source === "dicom_pixel_spacing" || own.source === "dicom_imager_pixel_spacing")
    return { x: own.x, y: own.y, source: own.source };
  return own.overrides ?? null;
}

/**
 * A job's pixel size in the report, most specific first: the request's for this job, the
 * request's for all, the job's own parameter, the image's (DICONDE, or stated or measured from a
 * reference). Where the size used differs from the film's own DICONDE calibration, that
 * calibration is kept so the report can warn of it.
 */
function reportJob(
  jobId: string,
  body: Pick<ReportRequest, "pixelSizeMm" | "pixelSizeMmByJob">,
  job: { params: JobParams; imagePixelSize: ImagePixelSize | null },
): ReportJob {
  const own = job.imagePixelSize;
  const calibration = filmCalibration(own);
  const overridden = (stated: PixelSize) =>
    calibration && (calibration.x !== stated.x || calibration.y !== stated.y) ? calibration : null;
  const requested = body.pixelSizeMmByJob?.[jobId] ?? body.pixelSizeMm;
  if (requested) {
    return {
      jobId,
      pixelSizeMm: requested,
      pixelSizeSource: "report",
      calibrationOverridden: overridden(requested),
    };
  }
  if (job.params.pixelSizeMm) {
    const stated = job.params.pixelSizeMm;
    return { jobId, pixelSizeMm: stated, pixelSizeSource: "job", calibrationOverridden: overridden(stated) };
  }
  if (own) {
    const pixelSizeMm = { x: own.x, y: own.y };
    return {
      jobId,
      pixelSizeMm,
      pixelSizeSource: own.source,
      calibrationOverridden: overridden(pixelSizeMm),
    };
  }
  return { jobId, pixelSizeMm: null, pixelSizeSource: null };
}

export type AssessedRequest = {
  jobs: ReportJob[];
  assessment: ReportAssessment;
  /** Review version of each job the assessment was taken at. */
  reviewVersions: Record<string, number>;
};

/**
 * Checks the request's jobs (at most `maxJobs`, all the caller's, all succeeded), settles each
 * one's pixel size and assesses their reviewed indications against the criterion.
 */
export async function assessRequest(
  db: Db,
  ownerId: string,
  maxJobs: number,
  body: ReportRequest,
): Promise<AssessedRequest> {
  const jobIds = [...new Set(body.jobIds)];
  if (jobIds.length > maxJobs) {
    throw new ApiError("too_many_images", `At most ${maxJobs} jobs per report; got ${jobIds.length}`);
  }
  const stray = Object.keys(body.pixelSizeMmByJob ?? {}).filter((id) => !jobIds.includes(id));
  if (stray.length) {
    throw new ApiError("validation_failed", "pixelSizeMmByJob names jobs not in jobIds", {
      details: { jobIds: stray },
    });
  }
  const found = await db
    .select({
      id: jobs.id,
      status: jobs.status,
      params: jobs.params,
      imagePixelSize: images.pixelSizeMm,
      filename: images.filename,
    })
    .from(jobs)
    .innerJoin(images, eq(images.id, jobs.imageId))
    .where(and(eq(jobs.ownerId, ownerId), inArray(jobs.id, jobIds)));
  const byId = new Map(found.map((job) => [job.id, job]));
  const missing = jobIds.filter((id) => !byId.has(id));
  if (missing.length) throw new ApiError("not_found", "Job not found", { details: { jobIds: missing } });
  const unfinished = found.filter((job) => job.status !== "succeeded").map((job) => job.id);
  if (unfinished.length) {
    throw new ApiError("job_not_finished", "Reports cover succeeded jobs only", {
      details: { jobIds: unfinished },
    });
  }
  const reviews = await loadReviews(db, jobIds);
  const reportJobs = jobIds.map((jobId) => reportJob(jobId, body, byId.get(jobId) as (typeof found)[number]));
  const films = reportJobs.map((job) => {
    const review = reviews.get(job.jobId) ?? { version: 0, items: [] };
    return {
      jobId: job.jobId,
      filename: byId.get(job.jobId)?.filename ?? null,
      reviewVersion: review.version,
      pixelSizeMm: job.pixelSizeMm,
      calibrationOverridden: job.calibrationOverridden ?? null,
      items: review.items,
    };
  });
  return {
    jobs: reportJobs,
    assessment: assessReport(body.acceptance, body.weld, body.weldId, films),
    reviewVersions: Object.fromEntries(films.map((film) => [film.jobId, film.reviewVersion])),
  };
}
