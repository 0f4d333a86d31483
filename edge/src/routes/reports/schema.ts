import { AcceptanceCriterionSchema, OutcomeSchema } from "@common/acceptance";
import {
  FilmCalibrationSchema,
  PersonnelSchema,
  ReportAssessmentSchema,
  ReportWeldSchema,
  TechniqueSchema,
  VerdictOverrideSchema,
} from "@common/inspection-report";
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
    inspectionDate: z.iso
      .date()
      .optional()
      .openapi({ description: "Defaults to the report's creation date" }),
    remarks: z.string().trim().min(1).max(REMARKS_MAX_CHARS).optional(),
  })
  .strict()
  .openapi("ReportHeader", {
    description:
      "Fields printed on the report as given (in DejaVu Sans: Latin, Greek, Cyrillic; other characters print as `?`)",
  });

export const ReportVerdictSchema = z.enum(reportVerdict.enumValues).openapi({
  description:
    "`accept`, `reject` or `cannot_evaluate` (an input a rule needs is missing), derived from the assessment unless overridden; `repair` only on reports made before verdicts were derived",
});
export const ReportStatusSchema = z.enum(reportStatus.enumValues);

/** What is assessed: the jobs, each one's pixel size, the criterion and the weld inputs. */
const assessed = {
  jobIds: z.array(z.uuid()).min(1).max(1000).openapi({
    description:
      "Succeeded jobs (films of the weld), one page section each, in this order (at most REPORT_MAX_JOBS)",
  }),
  acceptance: AcceptanceCriterionSchema.meta({
    description:
      "Standard and level: `en-iso-10675-1` with level 1, 2 or 3, or `asme-viii-1` with level `uw-51` (UW-51(b) and Appendix 4)",
  }),
  weld: ReportWeldSchema.default({ axis: "x" }).meta({
    description:
      "Weld inputs the rules need and a film cannot give: thickness t, the length of weld each film covers, bead width, passes, the inspector's Appendix 4 chart comparison; and the image axis the weld runs along. A rule whose input is missing makes the verdict `cannot_evaluate`",
  }),
  pixelSizeMm: PixelSizeMmInputSchema.optional().meta({
    description:
      "Pixel size of every image, mm (a number, or `{x, y}`); overrides the job's and the image's own (the report warns where it overrides a DICONDE calibration)",
  }),
  pixelSizeMmByJob: z.record(z.uuid(), PixelSizeMmInputSchema).optional().openapi({
    description: "Pixel size per job id, mm; overrides `pixelSizeMm` for those jobs",
  }),
};

export const AssessReportSchema = z.object(assessed).strict().openapi("AssessReport");

export const CreateReportSchema = z
  .object({
    ...assessed,
    header: ReportHeaderSchema.default({}),
    technique: TechniqueSchema.meta({
      description: "How the films were taken (EN ISO 17636-2 clause 6, ASME V Article 2)",
    }),
    personnel: PersonnelSchema.meta({
      description: "Inspector (required) and reviewer, with certification scheme, level and number",
    }),
    verdictOverride: VerdictOverrideSchema.optional().meta({
      description: "The reviewer's verdict where it differs from the derived one, with the reason (printed)",
    }),
  })
  .strict()
  .openapi("CreateReport");

export const ReportAssessmentResponseSchema = ReportAssessmentSchema.meta({
  description:
    "Each film's reviewed indications measured in mm from the film's datum and graded, with the rule (clause) that decided each; the verdict derived from them; how many are still pending review",
});

export const ReportSchema = z
  .object({
    id: z.uuid(),
    number: z.string().openapi({ description: "Unique per owner, never reused", example: "RPT-00042" }),
    status: ReportStatusSchema,
    verdict: ReportVerdictSchema,
    derivedVerdict: OutcomeSchema.nullable().meta({
      description: "The verdict the assessment gives; null on reports made before assessment",
    }),
    verdictOverride: VerdictOverrideSchema.nullable(),
    header: ReportHeaderSchema.extend({
      technique: field("Free-text technique, on reports made before the structured technique"),
      inspector: field("Free-text inspector, on reports made before structured personnel"),
      reviewer: field("Free-text reviewer, on reports made before structured personnel"),
    }),
    acceptance: AcceptanceCriterionSchema.nullable(),
    weld: ReportWeldSchema.nullable(),
    technique: TechniqueSchema.nullable(),
    personnel: PersonnelSchema.nullable(),
    assessment: ReportAssessmentSchema.nullable().meta({
      description: "The assessment taken when the report was issued, the verdict's basis",
    }),
    detectionSet: DetectionSetSchema.openapi({ description: "Reports always show the reviewed set" }),
    jobs: z.array(
      z.object({
        jobId: z.uuid(),
        pixelSizeMm: PixelSizeSchema.nullable().meta({ description: "mm per pixel; null when unknown" }),
        pixelSizeSource: z
          .enum(["report", ...PixelSizeSourceSchema.options])
          .nullable()
          .openapi({ description: "`report`: given in the request; else the job's or the image's own" }),
        calibrationOverridden: FilmCalibrationSchema.nullable().meta({
          description:
            "The image's own DICONDE calibration that a stated pixel size overrides (the PDF warns)",
        }),
      }),
    ),
    reviewVersions: z
      .record(z.uuid(), z.number().int())
      .nullable()
      .openapi({ description: "Review version of each job the assessment and the PDF show" }),
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
