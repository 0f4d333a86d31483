import { z } from "zod";
import {
  AcceptanceCriterionSchema,
  Iso6520RefSchema,
  OutcomeSchema,
  SourceSchema,
  WeldSchema,
} from "./acceptance/schema";
import { FilmPixelSizeSourceSchema, PixelSizeSchema } from "./measurements";

/**
 * What an inspection report states beyond its header (issue #23): how the films were taken
 * (EN ISO 17636-2, ASME V Article 2), who read them and with which certification, the weld inputs
 * the acceptance rules need, and the acceptance assessment derived from the reviewed indications.
 * One definition for the API, the stored report, the PDF and the web form.
 */

/** Longest name-like value (a person, a film system, a detector). */
export const REPORT_NAME_MAX_CHARS = 200;
/** Longest code-like value (a certificate number, an IQI reading). */
export const REPORT_CODE_MAX_CHARS = 60;
/** Longest reason for overriding the derived verdict (printed in full). */
export const OVERRIDE_REASON_MAX_CHARS = 2000;

const name = (description: string) =>
  z.string().trim().min(1).max(REPORT_NAME_MAX_CHARS).meta({ description });
const code = (description: string) =>
  z.string().trim().min(1).max(REPORT_CODE_MAX_CHARS).meta({ description });

/** The radiation source: an X-ray tube at a voltage, or a gamma-ray isotope (EN ISO 17636-2 6.2, 6.3). */
export const RadiationSourceSchema = z.discriminatedUnion("kind", [
  z
    .object({
      kind: z.literal("x-ray"),
      voltageKv: z.number().positive().max(1000).meta({ description: "Tube voltage, kV" }),
      focalSpotMm: z.number().positive().max(10).optional().meta({ description: "Focal spot size d, mm" }),
    })
    .strict(),
  z
    .object({
      kind: z.literal("isotope"),
      isotope: z.enum(["Ir-192", "Se-75", "Co-60", "Yb-169"]),
      focalSpotMm: z.number().positive().max(10).optional().meta({ description: "Source size d, mm" }),
    })
    .strict(),
]);

/**
 * What recorded the image: film (its system class, EN ISO 11699-1, and the optical density
 * reached in the area of interest) or a digital detector (its basic spatial resolution SRb,
 * EN ISO 17636-2 6.8, read from a duplex wire IQI).
 */
export const DetectorSchema = z.discriminatedUnion("kind", [
  z
    .object({
      kind: z.literal("film"),
      system: name("Film system and screens, e.g. `EN ISO 11699-1 C5, Pb 0.1 mm`"),
      density: z.number().min(0).max(6).meta({ description: "Optical density in the area of interest" }),
    })
    .strict(),
  z
    .object({
      kind: z.literal("digital"),
      detector: name("Detector (DDA or CR imaging plate and scanner)"),
      srbUm: z.number().positive().max(10_000).meta({ description: "Basic spatial resolution SRb, µm" }),
    })
    .strict(),
]);

/** Image quality indicator: its type, where it lay, and the sensitivity reached (e.g. `W13`, `2-2T`). */
export const IqiSchema = z
  .object({
    type: z.enum(["iso-19232-1-wire", "iso-19232-2-step-hole", "astm-e747-wire", "astm-e1025-hole"]),
    position: z.enum(["source-side", "film-side"]),
    sensitivity: code("Sensitivity achieved: the wire or hole seen, e.g. `W13`, `2-2T`"),
  })
  .strict();

/** How the films were taken (EN ISO 17636-2 clause 6, ASME V Article 2 T-27x). */
export const TechniqueSchema = z
  .object({
    /** EN ISO 17636-2 testing class: A basic, B improved; ASME has none. */
    testingClass: z.enum(["A", "B"]).optional(),
    /** Single wall single image, double wall single or double image (EN ISO 17636-2 6.1). */
    arrangement: z.enum(["SWSI", "DWSI", "DWDI"]).optional(),
    source: RadiationSourceSchema,
    sfdMm: z.number().positive().max(10_000).meta({ description: "Source-to-film (detector) distance, mm" }),
    detector: DetectorSchema,
    iqi: IqiSchema,
  })
  .strict();
export type Technique = z.infer<typeof TechniqueSchema>;

/** A person who signs, with the certification the standards ask for (EN ISO 9712, ASNT SNT-TC-1A). */
export const CertifiedPersonSchema = z
  .object({
    name: name("Name as printed above the signature"),
    certificationScheme: code("Certification scheme, e.g. `EN ISO 9712`, `ASNT SNT-TC-1A`"),
    level: z.enum(["1", "2", "3"]).meta({ description: "Certification level in radiographic testing" }),
    certificateNumber: code("Certificate number"),
  })
  .strict();
export type CertifiedPerson = z.infer<typeof CertifiedPersonSchema>;

export const PersonnelSchema = z
  .object({ inspector: CertifiedPersonSchema, reviewer: CertifiedPersonSchema.optional() })
  .strict();
export type Personnel = z.infer<typeof PersonnelSchema>;

/**
 * The weld inputs the acceptance rules need and a film cannot give (`WeldSchema`), plus which
 * image axis the weld runs along. The weld's id is the report header's `weldId`. `lengthMm` is the
 * length of weld each film covers: each film is assessed on its own, from its own datum.
 */
export const ReportWeldSchema = WeldSchema.omit({ id: true })
  .extend({
    thicknessMm: z.number().positive().max(1000).optional(),
    lengthMm: z.number().positive().max(100_000).optional(),
    widthMm: z.number().positive().max(1000).optional(),
    axis: z
      .enum(["x", "y"])
      .default("x")
      .meta({ description: "The image axis the weld runs along: `x` across the film, `y` down it" }),
  })
  .strict();
export type ReportWeld = z.infer<typeof ReportWeldSchema>;

/** The reviewer's verdict where it differs from the derived one; a reason is required. */
export const VerdictOverrideSchema = z
  .object({
    verdict: z.enum(["accept", "reject"]),
    reason: z.string().trim().min(1).max(OVERRIDE_REASON_MAX_CHARS),
  })
  .strict();
export type VerdictOverride = z.infer<typeof VerdictOverrideSchema>;

/** A film's own calibration, from its DICONDE header. */
export const FilmCalibrationSchema = PixelSizeSchema.extend({ source: FilmPixelSizeSourceSchema });
export type FilmCalibration = z.infer<typeof FilmCalibrationSchema>;

/** The rule that decided an outcome, as the report prints it. */
export const DecidingRuleSchema = z.object({ id: z.string(), source: SourceSchema });

/** One reviewed indication of a film, measured in mm on the weld and assessed. */
export const AssessedIndicationSchema = z.object({
  itemId: z.string(),
  /** Position in the film's indication table (1-based), as numbered on the film in the PDF. */
  number: z.number().int().positive(),
  classId: z.number().int(),
  label: z.string(),
  decision: z.enum(["accepted", "pending"]),
  iso6520: Iso6520RefSchema.nullable(),
  /** Extent along the weld, mm from the film's datum (its left edge, or top edge for `axis: y`). */
  alongMm: z.object({ from: z.number(), to: z.number() }).nullable(),
  lengthMm: z.number().nullable(),
  widthMm: z.number().nullable(),
  outcome: OutcomeSchema,
  rule: DecidingRuleSchema.nullable(),
  explanation: z.string(),
});
export type AssessedIndication = z.infer<typeof AssessedIndicationSchema>;

/** A finding about a film's weld as a whole (porosity per area, counts per length, missing inputs). */
export const WeldFindingSchema = z.object({
  rule: DecidingRuleSchema,
  outcome: OutcomeSchema,
  explanation: z.string(),
});

export const FilmAssessmentSchema = z.object({
  jobId: z.string(),
  filename: z.string().nullable(),
  reviewVersion: z.number().int(),
  pixelSizeMm: PixelSizeSchema.nullable(),
  /** The film's own calibration (DICONDE spacing) that a stated pixel size overrode, if any. */
  calibrationOverridden: FilmCalibrationSchema.nullable(),
  datum: z.enum(["left edge", "top edge"]),
  verdict: OutcomeSchema,
  missingFields: z.array(z.string()),
  indications: z.array(AssessedIndicationSchema),
  weldFindings: z.array(WeldFindingSchema),
});
export type FilmAssessment = z.infer<typeof FilmAssessmentSchema>;

/** A report's acceptance assessment: each film graded against the criterion, and the weld's verdict. */
export const ReportAssessmentSchema = z.object({
  acceptance: AcceptanceCriterionSchema,
  /** Any film rejected → reject; else any that cannot be evaluated → cannot_evaluate; else accept. */
  verdict: OutcomeSchema,
  /** Indications still pending review; a report cannot be issued while any are. */
  pending: z.number().int().min(0),
  missingFields: z.array(z.string()),
  films: z.array(FilmAssessmentSchema),
});
export type ReportAssessment = z.infer<typeof ReportAssessmentSchema>;
