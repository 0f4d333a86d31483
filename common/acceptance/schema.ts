import { z } from "zod";

/**
 * Inputs and outputs of acceptance evaluation (issue #23): a weld graded against a standard and
 * level from its indications. Sizes are millimetres on the part; an indication's box is in weld
 * coordinates, `x` along the weld axis and `y` across it (`./from-detection.ts` builds one from a
 * detection's pixel box and a pixel size).
 */

/** The standards a weld can be graded against, with the levels each one has. */
export const StandardIdSchema = z.enum(["en-iso-10675-1", "asme-viii-1"]);
export type StandardId = z.infer<typeof StandardIdSchema>;

/** EN ISO 10675-1 acceptance levels (1 strictest); ASME VIII-1 full radiography (UW-51) has one. */
export const EnIso10675LevelSchema = z.union([z.literal(1), z.literal(2), z.literal(3)]);
export const AsmeLevelSchema = z.literal("uw-51");
export type LevelOf<S extends StandardId> = S extends "en-iso-10675-1"
  ? z.infer<typeof EnIso10675LevelSchema>
  : z.infer<typeof AsmeLevelSchema>;

/** A standard and one of its levels, as a report or the viewer stores the choice. */
export const AcceptanceCriterionSchema = z.discriminatedUnion("standard", [
  z.object({ standard: z.literal("en-iso-10675-1"), level: EnIso10675LevelSchema }),
  z.object({ standard: z.literal("asme-viii-1"), level: AsmeLevelSchema }),
]);
export type AcceptanceCriterion = z.infer<typeof AcceptanceCriterionSchema>;

/**
 * What a film cannot give: the inspector supplies these per weld. A rule that needs a missing one
 * cannot be evaluated; it is never taken as passed.
 */
export const WeldSchema = z.object({
  id: z.string().optional(),
  /** t: nominal thickness of the weld, reinforcement excluded; the thinner member where they differ. */
  thicknessMm: z.number().positive().optional(),
  /** Length of weld the film covers and the evaluation is about. */
  lengthMm: z.number().positive().optional(),
  /** Width of the weld (bead), for porosity as a percentage of projected area. */
  widthMm: z.number().positive().optional(),
  /** Single-pass or multi-pass weld: EN ISO 10675-1's porosity area limit depends on it. */
  passes: z.enum(["single", "multiple"]).optional(),
  /**
   * The inspector's comparison of the rounded indications with ASME VIII-1 Appendix 4's charts
   * (Figures 4-3 to 4-8): density is judged against drawings, which this module does not encode.
   */
  roundedIndicationCharts: z.enum(["within", "exceeds"]).optional(),
});
export type Weld = z.infer<typeof WeldSchema>;
export type WeldField = Exclude<keyof Weld, "id">;

/** A box in millimetres in weld coordinates: x along the weld axis, y across it. */
export const WeldBoxSchema = z
  .object({ x1: z.number(), y1: z.number(), x2: z.number(), y2: z.number() })
  .refine((box) => box.x2 >= box.x1 && box.y2 >= box.y1, { message: "x2 ≥ x1 and y2 ≥ y1" });
export type WeldBox = z.infer<typeof WeldBoxSchema>;

export const IndicationSchema = z.object({
  id: z.string(),
  /** The class name from the model's list (`porosity`, `crack`, ...), as on a detection. */
  label: z.string(),
  box: WeldBoxSchema,
  /**
   * The indication's own length (its longest extent) and width across it, measured on the film's
   * pixels (`common/measurements.ts` `Extent`). Absent, the box's longer and shorter sides stand in.
   */
  lengthMm: z.number().min(0).optional(),
  widthMm: z.number().min(0).optional(),
  /** Depth measured by other means (visual or profile gauge); radiography gives none. */
  depthMm: z.number().min(0).optional(),
});
export type Indication = z.infer<typeof IndicationSchema>;

/** A weld's indications; ids name them in findings, so each must be unique. */
export const IndicationsSchema = z
  .array(IndicationSchema)
  .refine((list) => new Set(list.map((each) => each.id)).size === list.length, {
    message: "indication ids must be unique",
  });

export const OutcomeSchema = z.enum(["accept", "reject", "cannot_evaluate"]);
export type Outcome = z.infer<typeof OutcomeSchema>;

/** Where a rule's text and numbers come from, and whether the value was checked against it. */
export const SourceSchema = z.object({
  document: z.string(),
  clause: z.string(),
  /** True only where the value was checked against the clause's text or a public reproduction of it. */
  verified: z.boolean(),
  note: z.string().optional(),
});
export type Source = z.infer<typeof SourceSchema>;

/** One rule applied to one indication or a group of them. */
export const FindingSchema = z.object({
  ruleId: z.string(),
  source: SourceSchema,
  outcome: OutcomeSchema,
  indicationIds: z.array(z.string()),
  /** What was measured (mm, or % for an area fraction) and the limit it was held to. */
  measured: z.number().optional(),
  limit: z.number().optional(),
  /** `<=`: at the limit passes; `<`: the limit itself fails (as ASME's "less than t"). */
  comparison: z.enum(["<=", "<"]).optional(),
  unit: z.enum(["mm", "%", "count"]).optional(),
  missingFields: z.array(z.string()),
  explanation: z.string(),
});
export type Finding = z.infer<typeof FindingSchema>;

export const Iso6520RefSchema = z.object({ code: z.string(), name: z.string() });

export const IndicationResultSchema = z.object({
  indicationId: z.string(),
  label: z.string(),
  iso6520: Iso6520RefSchema.nullable(),
  outcome: OutcomeSchema,
  /** The rule that decided the outcome: the first rejecting one, else the first unevaluable, else its own (first) passed rule. */
  decidedBy: z.string(),
  findings: z.array(FindingSchema),
});
export type IndicationResult = z.infer<typeof IndicationResultSchema>;

export const WeldVerdictSchema = z.object({
  standard: StandardIdSchema,
  level: z.union([EnIso10675LevelSchema, AsmeLevelSchema]),
  weldId: z.string().optional(),
  /** Any reject → reject; else any cannot-evaluate → cannot_evaluate; else accept. */
  verdict: OutcomeSchema,
  /** Weld fields whose absence left a rule unevaluated. */
  missingFields: z.array(z.string()),
  /** Rules behind the verdict: the rejecting ones, else the unevaluable ones, else the ones passed. */
  decidingRules: z.array(z.string()),
  indications: z.array(IndicationResultSchema),
  /** Findings about the weld as a whole that name no indication (inputs, counts per length). */
  weldFindings: z.array(FindingSchema),
});
export type WeldVerdict = z.infer<typeof WeldVerdictSchema>;
