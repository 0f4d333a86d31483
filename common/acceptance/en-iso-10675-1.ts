import type { RuleData, ThicknessLimit } from "./rule-types";
import type { Source } from "./schema";

/**
 * EN ISO 10675-1 (radiographic testing of steel, nickel and titanium butt welds), acceptance levels
 * 1, 2 and 3, as data. Table 1 gives, per imperfection, a limit for each level; the levels line up
 * with ISO 5817's quality levels B, C and D, and where a Table 1 value could not be checked here the
 * ISO 5817 value for the matching quality level is used and marked unverified. t is the nominal
 * thickness (ISO 5817's s).
 */

export type EnLevel = 1 | 2 | 3;
export type PerLevel<T> = Record<EnLevel, T>;

const DOCUMENT = "EN ISO 10675-1:2016";

const table1 = (row: string, note: string): Source => ({
  document: DOCUMENT,
  clause: `Table 1, ${row}`,
  verified: false,
  note,
});

const FROM_ISO_5817 =
  "Value of ISO 5817:2014 for the quality level this acceptance level corresponds to (B, C, D); not " +
  "checked against EN ISO 10675-1's own Table 1: reviewers, confirm.";

export const EN_ISO_10675_1 = {
  document: DOCUMENT,

  /** Cracks are not permitted at any level. */
  crack: {
    id: "en-iso-10675-1.crack",
    source: table1("cracks (100, 104)", "Not permitted at any acceptance level; wording not checked here."),
    limits: { permittedAtLevels: [] as EnLevel[] },
  },

  /**
   * Lack of fusion and of penetration: not permitted at levels 1 and 2; level 3 allows short
   * intermittent ones (each, and in total over a reference length).
   */
  lackOfFusion: {
    id: "en-iso-10675-1.lack-of-fusion",
    source: table1(
      "lack of fusion (401) and lack of penetration (402)",
      "Levels 1 and 2: not permitted. Level 3 (intermittent, not surface-breaking): l ≤ 25 mm, Σl ≤ 25 mm " +
        "in 100 mm, recalled and not checked; a film cannot tell whether it breaks the surface.",
    ),
    limits: {
      1: null,
      2: null,
      3: { maxLengthMm: 25, maxTotalMm: 25, windowMm: 100 },
    } as PerLevel<{ maxLengthMm: number; maxTotalMm: number; windowMm: number } | null>,
  },

  /** A single pore: its diameter d ≤ fraction × t, at most a cap. */
  singlePore: {
    id: "en-iso-10675-1.single-pore",
    source: table1("porosity and gas pores (2011, 2012): single pore d", FROM_ISO_5817),
    limits: {
      1: { fractionOfT: 0.2, capMm: 3 },
      2: { fractionOfT: 0.3, capMm: 4 },
      3: { fractionOfT: 0.4, capMm: 5 },
    } as PerLevel<ThicknessLimit>,
  },

  /**
   * Porosity as the summed projected area of the pores, in % of the weld's projected area (weld
   * width × reference length), for single- and multi-pass welds.
   */
  porosityArea: {
    id: "en-iso-10675-1.porosity-area",
    source: table1("porosity and gas pores (2012): projected area A", FROM_ISO_5817),
    limits: {
      referenceLengthMm: 100,
      maxPercent: {
        1: { single: 1, multiple: 2 },
        2: { single: 1.5, multiple: 3 },
        3: { single: 2.5, multiple: 5 },
      } as PerLevel<{ single: number; multiple: number }>,
    },
  },

  /**
   * Clustered (2013) and linear (2014) porosity have limits of their own in Table 1 that could not be
   * checked here, so they are not encoded: pores that form a group are left to the inspector.
   * A group is the module's own reading (pores whose gap is at most the larger diameter, at least
   * `minPores` of them), not the standard's definition.
   */
  groupedPorosity: {
    id: "en-iso-10675-1.grouped-porosity",
    source: table1(
      "clustered porosity (2013), linear porosity (2014)",
      "Limits not encoded (values not verified); the grouping test is this module's, not the standard's.",
    ),
    limits: { minPores: 3, gapFactorOfDiameter: 1 },
  },

  /** Slag (solid) inclusions: width h and length l, each against t with a cap. */
  solidInclusion: {
    id: "en-iso-10675-1.solid-inclusion",
    source: table1(
      "solid inclusions (300, 301)",
      "Width h from ISO 5817:2014 (B/C/D); length l ≤ t with caps 25/50/75 mm recalled from EN ISO 10675-1. " +
        "Neither checked against the text: reviewers, confirm.",
    ),
    limits: {
      width: {
        1: { fractionOfT: 0.2, capMm: 2 },
        2: { fractionOfT: 0.3, capMm: 3 },
        3: { fractionOfT: 0.4, capMm: 4 },
      } as PerLevel<ThicknessLimit>,
      length: {
        1: { fractionOfT: 1, capMm: 25 },
        2: { fractionOfT: 1, capMm: 50 },
        3: { fractionOfT: 1, capMm: 75 },
      } as PerLevel<ThicknessLimit>,
    },
  },

  /** Tungsten inclusions, as metallic inclusions other than copper (304): size against t with a cap. */
  tungstenInclusion: {
    id: "en-iso-10675-1.tungsten-inclusion",
    source: table1("metallic inclusions other than copper (304, 3041)", FROM_ISO_5817),
    limits: {
      1: { fractionOfT: 0.2, capMm: 2 },
      2: { fractionOfT: 0.3, capMm: 3 },
      3: { fractionOfT: 0.4, capMm: 4 },
    } as PerLevel<ThicknessLimit>,
  },

  /**
   * Undercut is graded by its depth, which a radiograph does not give: without a measured depth it
   * cannot be evaluated.
   */
  undercut: {
    id: "en-iso-10675-1.undercut",
    source: table1(
      "undercut (5011, 5012): depth h",
      "Depth limits of ISO 5817:2014 (B/C/D, smooth transition required), normally assessed visually; " +
        "not checked against EN ISO 10675-1: reviewers, confirm.",
    ),
    limits: {
      1: { fractionOfT: 0.05, capMm: 0.5 },
      2: { fractionOfT: 0.1, capMm: 0.5 },
      3: { fractionOfT: 0.2, capMm: 1 },
    } as PerLevel<ThicknessLimit>,
  },
} satisfies Record<string, RuleData<unknown> | string>;
