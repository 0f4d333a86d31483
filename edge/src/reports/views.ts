import type { reports } from "@db/schema";

type ReportRow = typeof reports.$inferSelect;

/** The human-readable number of a report: its owner's sequence, zero-padded. */
export const reportNumber = (sequence: number) => `RPT-${String(sequence).padStart(5, "0")}`;

/** R2 key of a report's PDF; owner-scoped like image keys, outside the sweeper's `images/` scan. */
export const reportObjectKey = (ownerId: string, reportId: string) => `reports/${ownerId}/${reportId}.pdf`;

/** A report as the API shows it (`ReportSchema`). */
export function toReport(row: ReportRow) {
  return {
    id: row.id,
    number: reportNumber(row.sequence),
    status: row.status,
    verdict: row.verdict,
    derivedVerdict: row.derivedVerdict,
    verdictOverride: row.verdictOverride,
    header: row.header,
    acceptance: row.acceptance,
    weld: row.weld,
    technique: row.technique,
    personnel: row.personnel,
    assessment: row.assessment,
    detectionSet: "reviewed" as const,
    jobs: row.jobs.map((job) => ({ ...job, calibrationOverridden: job.calibrationOverridden ?? null })),
    reviewVersions: row.reviewVersions,
    attempts: row.attempts,
    error: row.error,
    sha256: row.sha256,
    bytes: row.bytes,
    pageCount: row.pageCount,
    pdfUrl: row.status === "ready" ? `/v1/reports/${row.id}/pdf` : null,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
    readyAt: row.readyAt?.toISOString() ?? null,
  };
}

/** What `report.ready` webhooks carry. */
export function reportEventData(row: ReportRow) {
  const { id, number, status, verdict, sha256, bytes, pageCount, createdAt, readyAt } = toReport(row);
  return {
    id,
    number,
    status,
    verdict,
    sha256,
    bytes,
    pageCount,
    jobIds: row.jobs.map((j) => j.jobId),
    createdAt,
    readyAt,
  };
}
export type ReportEventData = ReturnType<typeof reportEventData>;
