import { describe, expect, test } from "bun:test";
import { ReportAssessmentSchema, type ReportWeld } from "@common/inspection-report";
import { assessReport, type FilmInput } from "@edge/reports/assessment";

/**
 * A report's verdict is derived from its films' reviewed indications (issue #23). Each example is
 * worked by hand below from the cited clauses; the derived verdict and each indication's outcome,
 * location and deciding rule must match it.
 */

type Item = FilmInput["items"][number];
let next = 0;
const item = (label: string, box: Item["box"], decision: Item["decision"] = "accepted"): Item => ({
  id: `item-${++next}`,
  decision,
  classId: 0,
  label,
  box,
});

/** 0.1 mm per pixel: a box of 25 px is 2.5 mm. */
const film = (items: Item[], overrides: Partial<FilmInput> = {}): FilmInput => ({
  jobId: "00000000-0000-4000-8000-000000000001",
  filename: "weld-17.png",
  reviewVersion: 3,
  pixelSizeMm: { x: 0.1, y: 0.1 },
  calibrationOverridden: null,
  items,
  ...overrides,
});

describe("EN ISO 10675-1 acceptance level 2, worked by hand", () => {
  /*
   * Weld: t = 10 mm, 100 mm per film, bead 12 mm wide, multi-pass. Pixel size 0.1 mm, weld along x.
   *
   * Pore A, px (100,50)-(125,75): 2.5 × 2.5 mm at 10.0–12.5 mm from the left edge.
   *   Table 1, single pore (2011): d ≤ 0.3 t, at most 4 mm → min(3, 4) = 3 mm. 2.5 ≤ 3: accept.
   * Pore B, px (600,50)-(635,85): 3.5 × 3.5 mm at 60.0–63.5 mm.  3.5 > 3: reject.
   * Slag, px (300,40)-(380,60): 8 × 2 mm at 30.0–38.0 mm.
   *   Table 1, solid inclusions (301): h ≤ 0.3 t, at most 3 → 3 mm, 2 ≤ 3; l ≤ t, at most 50 → 10 mm,
   *   8 ≤ 10: accept.
   * A rejected crack is not part of the reviewed set and is not graded.
   * Porosity area over 100 mm × 12 mm: π/4 (2.5² + 3.5²) = 14.53 mm² = 1.21 % ≤ 3 % (multi-pass,
   *   level 2): accept. Two pores are no group (three or more).
   * Verdict: reject, decided by pore B's single-pore rule.
   */
  const weld: ReportWeld = { thicknessMm: 10, lengthMm: 100, widthMm: 12, passes: "multiple", axis: "x" };
  const poreA = item("porosity", { x1: 100, y1: 50, x2: 125, y2: 75 });
  const poreB = item("porosity", { x1: 600, y1: 50, x2: 635, y2: 85 });
  const slag = item("slag_inclusion", { x1: 300, y1: 40, x2: 380, y2: 60 });
  const crack = item("crack", { x1: 700, y1: 40, x2: 800, y2: 45 }, "rejected");
  const level2 = { standard: "en-iso-10675-1", level: 2 } as const;

  test("one pore over 0.3 t rejects the weld; the table carries code, location, size and rule", () => {
    const assessment = assessReport(level2, weld, "W-17", [film([poreA, crack, slag, poreB])]);
    ReportAssessmentSchema.parse(assessment);
    expect(assessment.verdict).toBe("reject");
    expect(assessment.pending).toBe(0);
    const [only] = assessment.films;
    expect(only?.datum).toBe("left edge");
    const rows = only?.indications.map((each) => ({
      number: each.number,
      code: each.iso6520?.code,
      along: each.alongMm && [each.alongMm.from, each.alongMm.to].map((v) => Number(v.toFixed(2))),
      length: Number(each.lengthMm?.toFixed(2)),
      width: Number(each.widthMm?.toFixed(2)),
      outcome: each.outcome,
      rule: each.rule?.id,
    }));
    expect(rows).toEqual([
      {
        number: 1,
        code: "2011",
        along: [10, 12.5],
        length: 2.5,
        width: 2.5,
        outcome: "accept",
        rule: "en-iso-10675-1.single-pore",
      },
      {
        number: 3,
        code: "301",
        along: [30, 38],
        length: 8,
        width: 2,
        outcome: "accept",
        rule: "en-iso-10675-1.solid-inclusion",
      },
      {
        number: 4,
        code: "2011",
        along: [60, 63.5],
        length: 3.5,
        width: 3.5,
        outcome: "reject",
        rule: "en-iso-10675-1.single-pore",
      },
    ]);
    // The slag passes two checks: both are given.
    expect(only?.indications[1]?.explanation).toBe(
      "inclusion width h 2 mm within the limit (<= 3 mm); inclusion length l 8 mm within the limit (<= 10 mm)",
    );
    const rejected = only?.indications[2];
    expect(rejected?.rule?.source.clause).toContain("Table 1");
    expect(rejected?.explanation).toContain("beyond the limit (<= 3 mm)");
  });

  test("without pore B the weld is accepted; without t it cannot be evaluated, never accepted", () => {
    expect(assessReport(level2, weld, "W-17", [film([poreA, slag])]).verdict).toBe("accept");
    const noThickness = assessReport(level2, { ...weld, thicknessMm: undefined }, "W-17", [
      film([poreA, slag]),
    ]);
    expect(noThickness.verdict).toBe("cannot_evaluate");
    expect(noThickness.missingFields).toContain("thicknessMm");
  });

  test("pending indications are assessed, flagged and counted", () => {
    const pending = item("porosity", { x1: 900, y1: 50, x2: 910, y2: 60 }, "pending");
    const assessment = assessReport(level2, weld, "W-17", [film([poreA, pending])]);
    expect(assessment.pending).toBe(1);
    expect(assessment.films[0]?.indications.map((each) => each.decision)).toEqual(["accepted", "pending"]);
  });

  test("a film without a pixel size cannot be evaluated; a film with nothing on it is accepted", () => {
    const assessment = assessReport(level2, weld, "W-17", [
      film([poreA], { pixelSizeMm: null }),
      film([], { jobId: "00000000-0000-4000-8000-000000000002" }),
    ]);
    expect(assessment.films.map((each) => each.verdict)).toEqual(["cannot_evaluate", "accept"]);
    expect(assessment.verdict).toBe("cannot_evaluate");
    expect(assessment.missingFields).toEqual(["pixelSizeMm"]);
    expect(assessment.films[0]?.indications[0]).toMatchObject({ alongMm: null, lengthMm: null, rule: null });
  });

  test("a weld running down the film is measured from the top edge", () => {
    const vertical = assessReport(level2, { ...weld, axis: "y" }, "W-17", [film([poreA, slag])]);
    expect(vertical.films[0]?.datum).toBe("top edge");
    // The slag's 8 mm lie across a vertical weld: along it, it spans y 4.0–6.0 mm.
    expect(vertical.films[0]?.indications[1]?.alongMm).toEqual({ from: 4, to: 6 });
  });
});

describe("ASME VIII-1 UW-51(b) with Appendix 4, worked by hand", () => {
  /*
   * Weld: t = 12 mm (0.472 in.), the inspector found the rounded indications within the charts.
   *
   * Slag, px (100,50)-(150,60): 5 × 1 mm, longer than 3 × its width: elongated (4-2(a)).
   *   UW-51(b)(2): for t ≤ 3/4 in. at most 1/4 in. = 6.35 mm. 5 ≤ 6.35: accept.
   * Pore, px (600,50)-(625,75): 2.5 mm, rounded. Relevant: above 1/32 in. = 0.79 mm (t ≤ 2 in.,
   *   4-3(b)). Its nearest neighbour (the slag, edge at 15 mm) is 45 mm away, over 1 in.: isolated;
   *   4-3(c): min(t/3 = 4 mm, 1/4 in. = 6.35 mm) = 4 mm. 2.5 ≤ 4: accept.
   * Density (t ≥ 1/8 in.): charts "within" (4-3(f)): accept. Verdict: accept.
   * With the pore at 4.5 mm (px 600-645), 4.5 > 4: reject by 4-3(c).
   */
  const weld: ReportWeld = { thicknessMm: 12, roundedIndicationCharts: "within", axis: "x" };
  const asme = { standard: "asme-viii-1", level: "uw-51" } as const;
  const slag = item("slag_inclusion", { x1: 100, y1: 50, x2: 150, y2: 60 });

  test("an elongated slag under 1/4 in. and an isolated pore under t/3 are accepted", () => {
    const pore = item("porosity", { x1: 600, y1: 50, x2: 625, y2: 75 });
    const assessment = assessReport(asme, weld, "W-17", [film([slag, pore])]);
    expect(assessment.verdict).toBe("accept");
    expect(assessment.films[0]?.indications.map((each) => [each.outcome, each.rule?.id])).toEqual([
      ["accept", "asme-viii-1.uw-51-b-2"],
      ["accept", "asme-viii-1.app-4-3-c"],
    ]);
  });

  test("an isolated pore of 4.5 mm is over t/3 and rejects the weld", () => {
    const pore = item("porosity", { x1: 600, y1: 50, x2: 645, y2: 95 });
    const assessment = assessReport(asme, weld, "W-17", [film([slag, pore])]);
    expect(assessment.verdict).toBe("reject");
    expect(assessment.films[0]?.indications[1]).toMatchObject({ outcome: "reject" });
    expect(assessment.films[0]?.indications[1]?.rule?.source.clause).toContain("4-3(c)");
  });

  test("without the chart comparison the rounded indications cannot be evaluated", () => {
    const pore = item("porosity", { x1: 600, y1: 50, x2: 625, y2: 75 });
    const assessment = assessReport(asme, { thicknessMm: 12, axis: "x" }, "W-17", [film([slag, pore])]);
    expect(assessment.verdict).toBe("cannot_evaluate");
    expect(assessment.missingFields).toEqual(["roundedIndicationCharts"]);
  });
});

describe("measured sizes", () => {
  /*
   * A slag line slanted corner to corner of a 200 × 100 px box at 0.1 mm: its box's sides are
   * 20 × 10 mm, but the indication itself, measured on the film at detection, is √(20² + 10²) =
   * 22.36 mm long and 0.3 mm wide. With t = 21 mm at level 2: l ≤ t = 21 mm fails, h ≤ 3 mm passes.
   */
  const weld: ReportWeld = { thicknessMm: 21, lengthMm: 100, widthMm: 12, passes: "multiple", axis: "x" };
  const box = { x1: 0, y1: 0, x2: 200, y2: 100 };
  const extent = { line: { x1: 0, y1: 0, x2: 200, y2: 100 }, widthPx: 3, method: "segmented" as const };
  const original = { classId: 0, label: "slag_inclusion", score: 0.8, box, extent };
  const level2 = { standard: "en-iso-10675-1", level: 2 } as const;

  test("an unchanged model box is sized and graded by the indication measured in it", () => {
    const slanted = { ...item("slag_inclusion", box), original };
    const [row] = assessReport(level2, weld, undefined, [film([slanted])]).films[0]?.indications ?? [];
    expect(row?.lengthMm).toBeCloseTo(Math.hypot(20, 10), 9);
    expect(row?.widthMm).toBeCloseTo(0.3, 9);
    expect(row?.outcome).toBe("reject");
  });

  test("a box a reviewer resized is sized by its sides", () => {
    const resized = { ...item("slag_inclusion", { ...box, x2: 150 }), original };
    const [row] = assessReport(level2, weld, undefined, [film([resized])]).films[0]?.indications ?? [];
    expect(row?.lengthMm).toBeCloseTo(15, 9);
    expect(row?.widthMm).toBeCloseTo(10, 9);
  });
});
