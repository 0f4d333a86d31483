import { UNMAPPED_CLASS_RULE } from "./iso-6520-1";
import type { RuleData } from "./rule-types";
import type { Finding, Indication, Weld, WeldField } from "./schema";
import { withinLimit } from "./units";

type AnyRule = RuleData<unknown>;

const ids = (indications: readonly Indication[]): string[] => indications.map((indication) => indication.id);

/** A measured size held to a limit: accept within it, reject beyond it. */
export function limitFinding(
  rule: AnyRule,
  indications: readonly Indication[],
  check: { measured: number; limit: number; comparison?: "<=" | "<"; unit?: "mm" | "%" | "count" },
  what: string,
): Finding {
  const comparison = check.comparison ?? "<=";
  const unit = check.unit ?? "mm";
  const passed = withinLimit(check.measured, check.limit, comparison);
  const shown = (value: number) => `${Number(value.toFixed(3))}${unit === "count" ? "" : ` ${unit}`}`;
  return {
    ruleId: rule.id,
    source: rule.source,
    outcome: passed ? "accept" : "reject",
    indicationIds: ids(indications),
    measured: check.measured,
    limit: check.limit,
    comparison,
    unit,
    missingFields: [],
    explanation: `${what} ${shown(check.measured)} ${passed ? "within" : "beyond"} the limit (${comparison} ${shown(check.limit)})`,
  };
}

/** A rule decided without a measurement: not permitted, or accepted as not relevant. */
export function plainFinding(
  rule: AnyRule,
  indications: readonly Indication[],
  outcome: Finding["outcome"],
  explanation: string,
): Finding {
  return {
    ruleId: rule.id,
    source: rule.source,
    outcome,
    indicationIds: ids(indications),
    missingFields: [],
    explanation,
  };
}

/** A rule that needs inputs it was not given. */
export function missingFinding(
  rule: AnyRule,
  indications: readonly Indication[],
  missingFields: string[],
  explanation: string,
): Finding {
  return {
    ruleId: rule.id,
    source: rule.source,
    outcome: "cannot_evaluate",
    indicationIds: ids(indications),
    missingFields,
    explanation,
  };
}

/** The weld fields among `fields` that are absent. */
export function missingWeldFields(weld: Weld, fields: readonly WeldField[]): WeldField[] {
  return fields.filter((field) => weld[field] === undefined);
}

/** An indication whose class has no ISO 6520-1 mapping: no acceptance row applies, so it cannot be graded. */
export function unmappedClassFinding(indication: Indication): Finding {
  return missingFinding(
    UNMAPPED_CLASS_RULE,
    [indication],
    [],
    `class "${indication.label}" has no ISO 6520-1 mapping`,
  );
}
