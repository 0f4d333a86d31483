import type { Source } from "./schema";

/**
 * ISO 6520-1 reference numbers for the model's classes: the one place a class name meets the
 * imperfection it stands for. A film shows a class; which sub-number (longitudinal or transverse
 * crack, continuous or intermittent undercut) is the inspector's call, so each class maps to the
 * group number an acceptance table uses for it.
 */

export type ImperfectionKind =
  | "crack"
  | "gas_pore"
  | "solid_inclusion"
  | "tungsten_inclusion"
  | "lack_of_fusion"
  | "lack_of_penetration"
  | "undercut";

export interface Iso6520Entry {
  /** The class name on a detection. */
  label: string;
  kind: ImperfectionKind;
  code: string;
  name: string;
  /** Related numbers a table row may also list for this class. */
  related: { code: string; name: string }[];
  source: Source;
}

const iso6520 = (clause: string, note?: string): Source => ({
  document: "ISO 6520-1:2007",
  clause,
  verified: false,
  note: note ?? "Reference number as commonly cited; not checked against the standard's text here.",
});

export const ISO_6520_1_CLASSES: readonly Iso6520Entry[] = [
  {
    label: "crack",
    kind: "crack",
    code: "100",
    name: "crack",
    related: [
      { code: "101", name: "longitudinal crack" },
      { code: "102", name: "transverse crack" },
      { code: "104", name: "crater crack" },
    ],
    source: iso6520("Table 1, group 1 (cracks)"),
  },
  {
    label: "porosity",
    kind: "gas_pore",
    code: "2011",
    name: "gas pore",
    related: [
      { code: "2012", name: "uniformly distributed porosity" },
      { code: "2013", name: "clustered (localized) porosity" },
      { code: "2014", name: "linear porosity" },
    ],
    source: iso6520(
      "Table 1, group 2 (cavities)",
      "The model labels each pore on its own (2011); 2012-2014 describe how pores are distributed.",
    ),
  },
  {
    label: "slag_inclusion",
    kind: "solid_inclusion",
    code: "301",
    name: "slag inclusion",
    related: [],
    source: iso6520("Table 1, group 3 (solid inclusions)"),
  },
  {
    label: "tungsten_inclusion",
    kind: "tungsten_inclusion",
    code: "3041",
    name: "tungsten inclusion",
    related: [{ code: "304", name: "metallic inclusion" }],
    source: iso6520("Table 1, group 3 (solid inclusions), 304 metallic inclusion"),
  },
  {
    label: "lack_of_fusion",
    kind: "lack_of_fusion",
    code: "401",
    name: "lack of fusion",
    related: [],
    source: iso6520("Table 1, group 4 (lack of fusion and penetration)"),
  },
  {
    label: "lack_of_penetration",
    kind: "lack_of_penetration",
    code: "402",
    name: "lack of penetration",
    related: [],
    source: iso6520(
      "Table 1, group 4 (lack of fusion and penetration)",
      "The shipped model has no such class; a reviewer may label one.",
    ),
  },
  {
    label: "undercut",
    kind: "undercut",
    code: "5011",
    name: "continuous undercut",
    related: [{ code: "5012", name: "intermittent undercut" }],
    source: iso6520("Table 1, group 5 (imperfect shape)"),
  },
];

/** The ISO 6520-1 entry of a class name, or undefined for a class no table covers. */
export function iso6520ForLabel(label: string): Iso6520Entry | undefined {
  return ISO_6520_1_CLASSES.find((entry) => entry.label === label);
}

/** The rule a finding names when an indication's class has no entry here: it cannot be graded. */
export const UNMAPPED_CLASS_RULE = {
  id: "iso-6520-1.class",
  source: iso6520("Table 1", "The class has no mapping to a reference number, so no acceptance row applies."),
  limits: {},
};
