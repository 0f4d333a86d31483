import { type AcceptanceCriterion, ASME_VIII_1, EN_ISO_10675_1, type Outcome } from "@common/acceptance";
import type { CertifiedPerson, ReportWeld, Technique } from "@common/inspection-report";

/** The report's wording of its structured fields: label and value pairs, as printed. */
export type Field = [label: string, value: string];

const NOT_GIVEN = "not given";
const mm = (value: number | undefined) => (value === undefined ? NOT_GIVEN : `${value} mm`);

export const OUTCOME_TEXT: Record<Outcome, string> = {
  accept: "accept",
  reject: "reject",
  cannot_evaluate: "cannot be evaluated",
};

export function criterionText(criterion: AcceptanceCriterion): string {
  return criterion.standard === "en-iso-10675-1"
    ? `${EN_ISO_10675_1.document}, acceptance level ${criterion.level}`
    : `${ASME_VIII_1.document}, UW-51(b) with Mandatory Appendix 4`;
}

/** The weld inputs, each as given or "not given" (a rule that needs a missing one cannot be evaluated). */
export function weldFields(weld: ReportWeld, criterion: AcceptanceCriterion): Field[] {
  const fields: Field[] = [
    ["Thickness t", mm(weld.thicknessMm)],
    ["Weld length per film", mm(weld.lengthMm)],
    ["Weld width", mm(weld.widthMm)],
    ["Passes", weld.passes ?? NOT_GIVEN],
  ];
  if (criterion.standard === "asme-viii-1")
    fields.push(["Appendix 4 charts", weld.roundedIndicationCharts ?? NOT_GIVEN]);
  fields.push([
    "Weld axis",
    weld.axis === "x"
      ? "along the film's width (datum: the film's left edge)"
      : "along the film's height (datum: the film's top edge)",
  ]);
  return fields;
}

const IQI_TYPES: Record<Technique["iqi"]["type"], string> = {
  "iso-19232-1-wire": "ISO 19232-1 wire IQI",
  "iso-19232-2-step-hole": "ISO 19232-2 step/hole IQI",
  "astm-e747-wire": "ASTM E747 wire IQI",
  "astm-e1025-hole": "ASTM E1025 hole IQI",
};

/** The technique as EN ISO 17636-2 clause 8 and ASME V T-291 ask a report to state it. */
export function techniqueFields(technique: Technique): Field[] {
  const { source, detector, iqi } = technique;
  const spot = source.focalSpotMm === undefined ? "" : `, focal spot ${source.focalSpotMm} mm`;
  return [
    ["Testing class", technique.testingClass ? `class ${technique.testingClass}` : "not stated"],
    ["Arrangement", technique.arrangement ?? "not stated"],
    [
      "Source",
      source.kind === "x-ray" ? `X-ray tube, ${source.voltageKv} kV${spot}` : `${source.isotope}${spot}`,
    ],
    ["SFD", `${technique.sfdMm} mm`],
    ...(detector.kind === "film"
      ? ([
          ["Film system", detector.system],
          ["Optical density", String(detector.density)],
        ] satisfies Field[])
      : ([
          ["Detector", detector.detector],
          ["SRb", `${detector.srbUm} µm`],
        ] satisfies Field[])),
    ["IQI", `${IQI_TYPES[iqi.type]}, ${iqi.position.replace("-", " ")}`],
    ["IQI sensitivity", iqi.sensitivity],
  ];
}

export function personText(person: CertifiedPerson): string {
  return `${person.name}, ${person.certificationScheme} level ${person.level}, certificate ${person.certificateNumber}`;
}
