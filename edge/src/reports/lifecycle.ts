import type { Db } from "@db/client-worker";
import { images, jobs, reports } from "@db/schema";
import { and, eq, inArray, sql } from "drizzle-orm";
import { loadReviews } from "../reviews/reviewed-set";
import { recordEventDeliveries } from "../webhooks/deliveries";
import type { ReportImage, ReportInput } from "./report-input";
import { reportEventData, reportNumber } from "./views";

type ReportRow = typeof reports.$inferSelect;

/** A failure that another attempt cannot fix (a job or image deleted since the report was asked for). */
export class ReportInputError extends Error {}

const unfinished = () => inArray(reports.status, ["queued", "rendering"]);

/**
 * Marks the report `rendering` and counts the attempt; null when it is gone or already final
 * (a redelivered message after success or failure).
 */
export async function claimReport(db: Db, reportId: string): Promise<ReportRow | null> {
  const [row] = await db
    .update(reports)
    .set({ status: "rendering", attempts: sql`${reports.attempts} + 1`, updatedAt: sql`now()` })
    .where(and(eq(reports.id, reportId), unfinished()))
    .returning();
  return row ?? null;
}

/** What the PDF shows, read now: each job's image, model identity and reviewed set, in report order. */
export async function gatherReport(db: Db, report: ReportRow): Promise<ReportInput> {
  const jobIds = report.jobs.map((j) => j.jobId);
  const [rows, reviews] = await Promise.all([
    db
      .select({ job: jobs, image: images })
      .from(jobs)
      .innerJoin(images, eq(images.id, jobs.imageId))
      .where(and(eq(jobs.ownerId, report.ownerId), inArray(jobs.id, jobIds))),
    loadReviews(db, jobIds),
  ]);
  const byId = new Map(rows.map((row) => [row.job.id, row]));
  const imagesOut: ReportImage[] = report.jobs.map(({ jobId, pixelSizeMm, pixelSizeSource }) => {
    const row = byId.get(jobId);
    if (row?.job.status !== "succeeded") {
      throw new ReportInputError(`job ${jobId} was deleted or has no result any more`);
    }
    const review = reviews.get(jobId) ?? { version: 0, items: [] };
    // The verdict was derived from the review as it was at issue; a PDF of a later one would contradict it.
    const issuedAt = report.reviewVersions?.[jobId];
    if (issuedAt !== undefined && issuedAt !== review.version) {
      throw new ReportInputError(
        `the review of job ${jobId} changed since the report was issued (version ${issuedAt} → ${review.version}); issue a new report`,
      );
    }
    return {
      jobId,
      imageId: row.image.id,
      objectKey: row.image.objectKey,
      filename: row.image.filename,
      format: row.image.format,
      width: row.image.width,
      height: row.image.height,
      storedBytes: row.image.bytes,
      model: { name: row.job.model, version: row.job.modelVersion, sha256: row.job.modelSha256 },
      reviewVersion: review.version,
      pixelSizeMm,
      pixelSizeSource,
      items: review.items,
    };
  });
  return {
    number: reportNumber(report.sequence),
    createdAt: report.createdAt,
    header: report.header,
    verdict: report.verdict,
    derivedVerdict: report.derivedVerdict,
    verdictOverride: report.verdictOverride,
    acceptance: report.acceptance,
    weld: report.weld,
    technique: report.technique,
    personnel: report.personnel,
    assessment: report.assessment,
    images: imagesOut,
  };
}

export type ReadyReport = { ownerId: string; deliveryIds: string[] };

/** Records the stored PDF and the `report.ready` deliveries in one transaction. */
export async function completeReport(
  db: Db,
  reportId: string,
  pdf: {
    objectKey: string;
    sha256: string;
    bytes: number;
    pageCount: number;
    reviewVersions: Record<string, number>;
  },
): Promise<ReadyReport | null> {
  return db.interactiveTransaction(async (tx) => {
    const [row] = await tx
      .update(reports)
      .set({
        status: "ready",
        error: null,
        ...pdf,
        readyAt: sql`now()`,
        updatedAt: sql`now()`,
      })
      .where(and(eq(reports.id, reportId), eq(reports.status, "rendering")))
      .returning();
    if (!row) return null;
    const deliveryIds = await recordEventDeliveries(tx, row.ownerId, "report.ready", {
      report: reportEventData(row),
    });
    return { ownerId: row.ownerId, deliveryIds };
  });
}

/** Records why an attempt failed; `final` makes the report `failed` for good. */
export async function recordReportFailure(
  db: Db,
  reportId: string,
  reason: string,
  final: boolean,
): Promise<void> {
  await db
    .update(reports)
    .set({ ...(final ? { status: "failed" as const } : {}), error: reason, updatedAt: sql`now()` })
    .where(and(eq(reports.id, reportId), unfinished()));
}
