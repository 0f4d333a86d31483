import { iso6520ForLabel } from "./iso-6520-1";
import type { Finding, Indication, IndicationResult, Outcome, Weld, WeldVerdict } from "./schema";

/** Any reject wins; else any cannot-evaluate; else accept (also when there is nothing to grade). */
export function combineOutcomes(outcomes: readonly Outcome[]): Outcome {
  if (outcomes.includes("reject")) return "reject";
  if (outcomes.includes("cannot_evaluate")) return "cannot_evaluate";
  return "accept";
}

/**
 * The rule that decided: the first finding with the combined outcome. Findings about the indication
 * alone come before group ones, so an accepted indication names its own size rule.
 */
function decidingFinding(findings: readonly Finding[], outcome: Outcome): Finding | undefined {
  return findings.find((finding) => finding.outcome === outcome);
}

function indicationResult(indication: Indication, findings: readonly Finding[]): IndicationResult {
  const own = findings.filter((finding) => finding.indicationIds.includes(indication.id));
  const outcome =
    own.length === 0 ? "cannot_evaluate" : combineOutcomes(own.map((finding) => finding.outcome));
  const entry = iso6520ForLabel(indication.label);
  return {
    indicationId: indication.id,
    label: indication.label,
    iso6520: entry ? { code: entry.code, name: entry.name } : null,
    outcome,
    decidedBy: decidingFinding(own, outcome)?.ruleId ?? "none",
    findings: own,
  };
}

const unique = (values: readonly string[]): string[] => [...new Set(values)];

/** The weld's verdict from its findings: each indication's outcome, then the weld's. */
export function weldVerdict(
  criterion: Pick<WeldVerdict, "standard" | "level">,
  weld: Weld,
  indications: readonly Indication[],
  findings: readonly Finding[],
): WeldVerdict {
  const results = indications.map((indication) => indicationResult(indication, findings));
  const weldFindings = findings.filter((finding) => finding.indicationIds.length === 0);
  const verdict = combineOutcomes(findings.map((finding) => finding.outcome));
  return {
    ...criterion,
    ...(weld.id === undefined ? {} : { weldId: weld.id }),
    verdict,
    missingFields: unique(findings.flatMap((finding) => finding.missingFields)),
    decidingRules: unique(
      findings.filter((finding) => finding.outcome === verdict).map((finding) => finding.ruleId),
    ),
    indications: results,
    weldFindings,
  };
}
