/** The reports endpoints the app calls, typed from the edge's reports schemas. */
import type {
  AssessReportSchema,
  CreateReportSchema,
  ReportAssessmentResponseSchema,
  ReportStatusSchema,
  ReportVerdictSchema,
} from "@edge/routes/reports/schema";
import type { z } from "zod";
import { api } from "./instance";
import type { PagedSource } from "./paged-list";
import { pagedSource } from "./paged-source";
import { withQuery } from "./query-string";
import type { Report } from "./types";

export type CreateReportBody = z.input<typeof CreateReportSchema>;
export type AssessReportBody = z.input<typeof AssessReportSchema>;
export type ReportAssessment = z.infer<typeof ReportAssessmentResponseSchema>;
export type ReportHeader = NonNullable<CreateReportBody["header"]>;
export type ReportVerdict = z.infer<typeof ReportVerdictSchema>;

/** `POST /v1/reports`: the report, issued and queued for rendering. */
export const createReport = (body: CreateReportBody) =>
  api.call<Report>("/v1/reports", { method: "POST", json: body });

/** `POST /v1/reports/assessment`: what issuing would derive, stored nowhere. */
export const assessReport = (body: AssessReportBody) =>
  api.call<ReportAssessment>("/v1/reports/assessment", { method: "POST", json: body });

/** `GET /v1/reports`, newest first. */
export const listReports = (
  query: { status?: z.input<typeof ReportStatusSchema> } = {},
): PagedSource<Report> => pagedSource(withQuery("/v1/reports", query));
