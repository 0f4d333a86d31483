import { PixelSizeMmInputSchema, PixelSizeSchema, PixelSizeSourceSchema } from "@common/measurements";
import { reportStatus, reportVerdict } from "@db/schema";
import { z } from "@hono/zod-openapi";
import { pageResponse } from "../pagination";
import { DetectionSetSchema } from "../reviews/schema";

/** Longest value of a one-line header field, and of the free-text remarks (printed in full). */
export const HEADER_FIELD_MAX_CHARS = 200;
export const REMARKS_MAX_CHARS = 2000;

const field = (description: string, example?: string) =>
  z.string().trim().min(1).max(HEADER_FIELD_MAX_CHARS).optional().openapi({ description, example });

export const ReportHeaderSchema = z
  .object({
    customer: field("Customer", "Acme Pipelines"),
    partId: field("Part identifier", "P-2231"),
    weldId: field("Weld identifier", "W-17"),
    inspectionId: field("Inspection identifier", "INS-2026-118"),
    inspectionMethod: field("Inspection method", "RT (radiographic testing)"),
    technique: field("Technique", "DWSI, 250 kV, D7 film"),
    inspectionDate: z.iso
      .date()
      .optional()
      .openapi({ description: "Defaults to the report's creation date" }),
    inspector: field("Inspector", "J. Smith (Level 2)"),
    reviewer: field("Reviewer", "A. Jones (Level 3)"),
    remarks: z.string().trim().min(1).max(REMARKS_MAX_CHARS).optional(),
  })
  .strict()
  .openapi("ReportHeader", {
    description: "Fields printed on the report as given (characters outside Latin-1 print as `?`)",
  });

export const ReportVerdictSchema = z.enum(reportVerdict.enumValues);
export const ReportStatusSchema = z.enum(reportStatus.enumValues);

export const CreateReportSchema = z
  .object({
    jobIds: z.array(z.uuid()).min(1).max(1000).openapi({
      description: "Succeeded jobs, one page section each, in this order (at most REPORT_MAX_JOBS)",
    }),
    header: ReportHeaderSchema.default({}),
    verdict: ReportVerdictSchema.openapi({ description: "The reviewer's verdict" }),
    pixelSizeMm: PixelSizeMmInputSchema.optional().meta({
      description:
        "Pixel size of every image, mm (a number, or `{x, y}`); overrides the job's and the image's own. Enables the millimetre columns",
    }),
    pixelSizeMmByJob: z.record(z.uuid(), PixelSizeMmInputSchema).optional().openapi({
      description: "Pixel size per job id, mm; overrides `pixelSizeMm` for those jobs",
    }),
  })
  .openapi("CreateReport");

export const ReportSchema = z
  .object({
    id: z.uuid(),
    number: z.string().openapi({ description: "Unique per owner, never reused", example: "RPT-00042" }),
    status: ReportStatusSchema,
    verdict: ReportVerdictSchema,
    header: ReportHeaderSchema,
    detectionSet: DetectionSetSchema.openapi({ description: "Reports always show the reviewed set" }),
    jobs: z.array(
      z.object({
        jobId: z.uuid(),
        pixelSizeMm: PixelSizeSchema.nullable().meta({ description: "mm per pixel; null when unknown" }),
        pixelSizeSource: z
          .enum(["report", ...PixelSizeSourceSchema.options])
          .nullable()
          .openapi({ description: "`report`: given in the request; else the job's or the image's own" }),
      }),
    ),
    reviewVersions: z
      .record(z.uuid(), z.number().int())
      .nullable()
      .openapi({ description: "Review version of each job the PDF shows; set when rendered" }),
    attempts: z.number().int(),
    error: z.string().nullable().openapi({ description: "Why it failed (or the last retried failure)" }),
    sha256: z
      .string()
      .nullable()
      .openapi({ description: "SHA-256 (hex) of the PDF, to verify a copy later; set when ready" }),
    bytes: z.number().int().nullable(),
    pageCount: z.number().int().nullable(),
    pdfUrl: z.string().nullable().openapi({ description: "Path of the PDF once ready" }),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
    readyAt: z.iso.datetime().nullable(),
  })
  .openapi("Report");

export const ReportPageSchema = pageResponse(ReportSchema, "ReportPage");

export const ReportIdParamSchema = z.object({
  id: z.uuid().openapi({ param: { name: "id", in: "path" } }),
});
