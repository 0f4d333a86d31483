import type { PixelSize, PixelSizeSource } from "@common/measurements";
import { bigint, index, integer, jsonb, pgEnum, pgTable, text, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { createdAt, id, timestamptz, updatedAt } from "./columns";
import { users } from "./users";

export const reportStatus = pgEnum("report_status", ["queued", "rendering", "ready", "failed"]);
export const reportVerdict = pgEnum("report_verdict", ["accept", "repair", "reject"]);

/** The fields of a report's header that the user fills in; all optional, printed as given. */
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
    verdict: reportVerdict().notNull(),
    /** Review version of each job at rendering time (job id → version), so the PDF is traceable. */
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
