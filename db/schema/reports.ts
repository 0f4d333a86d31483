import type { AcceptanceCriterion, Outcome } from "@common/acceptance";
import type {
  FilmCalibration,
  Personnel,
  ReportAssessment,
  ReportWeld,
  Technique,
  VerdictOverride,
} from "@common/inspection-report";
import type { PixelSize, PixelSizeSource } from "@common/measurements";
import { bigint, index, integer, jsonb, pgEnum, pgTable, text, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { createdAt, id, timestamptz, updatedAt } from "./columns";
import { users } from "./users";

export const reportStatus = pgEnum("report_status", ["queued", "rendering", "ready", "failed"]);
/**
 * A report's verdict: derived from its acceptance assessment (`accept`, `reject`,
 * `cannot_evaluate`), or a reviewer's override with a reason. `repair` was typed by hand on reports
 * made before verdicts were derived.
 */
export const reportVerdict = pgEnum("report_verdict", ["accept", "repair", "reject", "cannot_evaluate"]);

/**
 * The fields of a report's header that the user fills in; all optional, printed as given.
 * `technique`, `inspector` and `reviewer` are free text of reports made before the structured
 * technique and personnel.
 */
export type ReportHeader = {
  customer?: string;
  partId?: string;
  weldId?: string;
  inspectionId?: string;
  inspectionMethod?: string;
  technique?: string;
  /** Calendar date of the inspection, `YYYY-MM-DD`. */
  inspectionDate?: string;
  inspector?: string;
  reviewer?: string;
  remarks?: string;
};

/** Where a report's pixel size came from: the report request, else the job's or the image's. */
export type ReportPixelSizeSource = "report" | PixelSizeSource;

/** Per job of the report, in report order: its pixel size in millimetres when known, and its source. */
export type ReportJob = {
  jobId: string;
  pixelSizeMm: PixelSize | null;
  pixelSizeSource: ReportPixelSizeSource | null;
  /** The image's own calibration (DICONDE spacing) that the pixel size above overrides, if any. */
  calibrationOverridden?: FilmCalibration | null;
};

/**
 * A PDF inspection report over one or several jobs. Rendered off the request path by the
 * `reports` queue consumer, stored in R2 under `reports/`, its SHA-256 kept so a copy can be
 * verified later.
 */
export const reports = pgTable(
  "reports",
  {
    id: id(),
    ownerId: uuid()
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    /** Per-owner sequence behind the human-readable number (`RPT-00042`); never reused. */
    sequence: integer().notNull(),
    status: reportStatus().notNull().default("queued"),
    jobs: jsonb().$type<ReportJob[]>().notNull(),
    header: jsonb().$type<ReportHeader>().notNull(),
    /** The derived verdict, or the override's where there is one. */
    verdict: reportVerdict().notNull(),
    /** Null on reports made before acceptance assessment. */
    acceptance: jsonb().$type<AcceptanceCriterion>(),
    weld: jsonb().$type<ReportWeld>(),
    technique: jsonb().$type<Technique>(),
    personnel: jsonb().$type<Personnel>(),
    /** The assessment the verdict was derived from, taken when the report was issued. */
    assessment: jsonb().$type<ReportAssessment>(),
    derivedVerdict: reportVerdict().$type<Outcome>(),
    verdictOverride: jsonb().$type<VerdictOverride>(),
    /**
     * Review version of each job the assessment was taken at (job id → version); the PDF is
     * rendered from those versions only, so it is traceable.
     */
    reviewVersions: jsonb().$type<Record<string, number>>(),
    attempts: integer().notNull().default(0),
    /** Last failure; on a `failed` report the reason it failed. */
    error: text(),
    objectKey: text(),
    sha256: text(),
    bytes: bigint({ mode: "number" }),
    pageCount: integer(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
    readyAt: timestamptz(),
  },
  (t) => [
    uniqueIndex("reports_owner_sequence_key").on(t.ownerId, t.sequence),
    index("reports_owner_created_idx").on(t.ownerId, t.id.desc()),
  ],
);

/** The last report sequence handed out per owner; incremented under its row lock. */
export const reportCounters = pgTable("report_counters", {
  ownerId: uuid()
    .primaryKey()
    .references(() => users.id, { onDelete: "cascade" }),
  last: integer().notNull(),
});
