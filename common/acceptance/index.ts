import { evaluateAsmeViii1 } from "./evaluate-asme-viii-1";
import { evaluateEnIso10675 } from "./evaluate-en-iso-10675-1";
import {
  AcceptanceCriterionSchema,
  type Indication,
  IndicationsSchema,
  type LevelOf,
  type StandardId,
  type Weld,
  WeldSchema,
  type WeldVerdict,
} from "./schema";
import { weldVerdict } from "./verdict";

export { ASME_VIII_1 } from "./asme-viii-1";
export { EN_ISO_10675_1 } from "./en-iso-10675-1";
export { indicationFromDetection } from "./from-detection";
export { ISO_6520_1_CLASSES, iso6520ForLabel } from "./iso-6520-1";
export * from "./schema";
export { inchesToMm, MM_PER_INCH, mmToInches } from "./units";

/**
 * Grade a weld and each of its indications against a standard and level (issue #23). Inputs are
 * parsed with the exported schemas, so a report or the viewer can pass stored JSON; a field a rule
 * needs and the weld lacks makes that rule, and so the weld, "cannot_evaluate", never "accept".
 */
export function evaluateWeld<S extends StandardId>(
  standard: S,
  level: LevelOf<S>,
  weld: Weld,
  indications: readonly Indication[],
): WeldVerdict {
  const criterion = AcceptanceCriterionSchema.parse({ standard, level });
  const parsedWeld = WeldSchema.parse(weld);
  const parsed = IndicationsSchema.parse(indications);
  const findings =
    criterion.standard === "en-iso-10675-1"
      ? evaluateEnIso10675(criterion.level, parsedWeld, parsed)
      : evaluateAsmeViii1(parsedWeld, parsed);
  return weldVerdict(criterion, parsedWeld, parsed, findings);
}
