import type { RuleData } from "./rule-types";
import type { Source } from "./schema";

/**
 * ASME BPVC Section VIII, Division 1: acceptance of fully radiographed welds, UW-51(b), with
 * Mandatory Appendix 4 for rounded indications, as data. The code states inches; limits are kept in
 * inches here, as written, and converted to millimetres (25.4 mm per inch) where they are applied.
 * t is the weld's thickness excluding reinforcement, the thinner member where they differ (4-2(c)).
 */

const DOCUMENT = "ASME BPVC Section VIII, Division 1";

const CHECKED = "Checked against public reproductions of the clause; confirm against the edition in force.";
const UNCHECKED = "Recalled from the clause; not checked against its text here: reviewers, confirm.";

const clause = (id: string, verified: boolean, note: string): Source => ({
  document: DOCUMENT,
  clause: id,
  verified,
  note,
});

/** A limit in inches: a fixed size, or a fraction of t, for t up to `upToIn` (inclusive). */
export interface InchRange {
  upToIn: number;
  fixedIn?: number;
  fractionOfT?: number;
}

export const ASME_VIII_1 = {
  document: DOCUMENT,

  /** Cracks and zones of incomplete fusion or penetration are unacceptable. */
  crackOrIncompleteFusion: {
    id: "asme-viii-1.uw-51-b-1",
    source: clause("UW-51(b)(1)", true, CHECKED),
    limits: {},
  },

  /**
   * Rounded indications (length ≤ 3 × width) are graded by Appendix 4; longer ones are elongated
   * indications, graded by UW-51(b)(2) and (3). Porosity, slag or tungsten can make either.
   */
  shape: {
    id: "asme-viii-1.app-4-2-a",
    source: clause("Mandatory Appendix 4, 4-2(a)", true, CHECKED),
    limits: { roundedMaxLengthToWidth: 3 },
  },

  /** Elongated indications longer than 1/4 in. (t ≤ 3/4 in.), t/3 (t ≤ 2 1/4 in.) or 3/4 in. are rejected. */
  elongatedLength: {
    id: "asme-viii-1.uw-51-b-2",
    source: clause("UW-51(b)(2)", true, CHECKED),
    limits: {
      ranges: [
        { upToIn: 0.75, fixedIn: 0.25 },
        { upToIn: 2.25, fractionOfT: 1 / 3 },
        { upToIn: Number.POSITIVE_INFINITY, fixedIn: 0.75 },
      ] as InchRange[],
    },
  },

  /**
   * A group of indications in line whose aggregate length exceeds t in a length of 12t is rejected,
   * unless successive imperfections are more than 6L apart (L: the longest in the group).
   */
  alignedElongated: {
    id: "asme-viii-1.uw-51-b-3",
    source: clause("UW-51(b)(3)", true, CHECKED),
    limits: { aggregateFractionOfT: 1, windowFactorOfT: 12, spacingFactorOfLongest: 6 },
  },

  /** Rounded indications no larger than these are not relevant (4-3(b)); "less than 1/8 in." uses t/10. */
  relevance: {
    id: "asme-viii-1.app-4-3-b",
    source: clause("Mandatory Appendix 4, 4-3(b) and Table 4-1", false, UNCHECKED),
    limits: {
      ranges: [
        { upToIn: 1 / 8, fractionOfT: 1 / 10 },
        { upToIn: 1 / 4, fixedIn: 1 / 64 },
        { upToIn: 2, fixedIn: 1 / 32 },
        { upToIn: Number.POSITIVE_INFINITY, fixedIn: 1 / 16 },
      ] as InchRange[],
    },
  },

  /**
   * Largest rounded indication: 1/4 t or 5/32 in., whichever is smaller; an isolated one (1 in. or
   * more from its neighbours) 1/3 t or 1/4 in., and 3/8 in. for t over 2 in.
   */
  roundedSize: {
    id: "asme-viii-1.app-4-3-c",
    source: clause("Mandatory Appendix 4, 4-3(c) and Table 4-1", false, UNCHECKED),
    limits: {
      random: { fractionOfT: 1 / 4, capIn: 5 / 32 },
      isolated: { fractionOfT: 1 / 3, capIn: 1 / 4, separationIn: 1 },
      isolatedThick: { overTIn: 2, capIn: 3 / 8 },
    },
  },

  /**
   * Aligned rounded indications (four or more touching one line parallel to the weld, 4-2(b)) are
   * acceptable when the sum of their sizes is less than t in a length of 12t (4-3(d), Figure 4-1).
   * Figure 4-2's limits on the length and spacing of groups are not encoded.
   */
  alignedRounded: {
    id: "asme-viii-1.app-4-3-d",
    source: clause(
      "Mandatory Appendix 4, 4-2(b), 4-3(d), Figure 4-1",
      false,
      `${UNCHECKED} Four or more (4-2(b)) was checked; older editions said three. Figure 4-2 is not encoded.`,
    ),
    limits: { minCount: 4, sumFractionOfT: 1, windowFactorOfT: 12 },
  },

  /**
   * For t of 1/8 in. and more, the density of rounded indications is judged against Figures 4-3 to
   * 4-8 (random, clustered, assorted), drawings this module does not encode: the inspector's
   * comparison is a weld field. Cluster length limits (4-3(h)) are part of that comparison.
   */
  charts: {
    id: "asme-viii-1.app-4-3-f",
    source: clause(
      "Mandatory Appendix 4, 4-3(f), 4-3(h), Figures 4-3 to 4-8",
      false,
      "The charts are drawings; only the inspector's comparison with them is recorded.",
    ),
    limits: { fromTIn: 1 / 8 },
  },

  /** For t under 1/8 in.: at most 12 rounded indications in 6 in. of weld, proportionally fewer in shorter welds. */
  thinWeldCount: {
    id: "asme-viii-1.app-4-3-g",
    source: clause("Mandatory Appendix 4, 4-3(g)", false, UNCHECKED),
    limits: { belowTIn: 1 / 8, maxCount: 12, perLengthIn: 6 },
  },

  /**
   * Undercut is a surface condition that UW-51's radiographic criteria do not grade; UW-35 limits the
   * reduction of thickness at the weld's edges to 1/32 in. or 10 % of the nominal thickness, whichever
   * is less, which needs a measured depth.
   */
  undercut: {
    id: "asme-viii-1.uw-35",
    source: clause("UW-35(b)", false, UNCHECKED),
    limits: { fractionOfT: 0.1, capIn: 1 / 32 },
  },
} satisfies Record<string, RuleData<unknown> | string>;
