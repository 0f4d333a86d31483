import { describe, expect, test } from "bun:test";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import {
  ASME_VIII_1,
  EN_ISO_10675_1,
  evaluateWeld,
  type Indication,
  ISO_6520_1_CLASSES,
  inchesToMm,
  indicationFromDetection,
  iso6520ForLabel,
  SourceSchema,
  WeldVerdictSchema,
} from "@common/acceptance";
import { indication, pore } from "./acceptance-fixtures";

// Whole welds graded by hand and by the module (issue #23's done-when): each indication's outcome
// and deciding rule, and the weld's verdict. The hand working is in the comments.

const outcomes = (verdict: ReturnType<typeof evaluateWeld>) =>
  Object.fromEntries(
    WeldVerdictSchema.parse(verdict).indications.map((each) => [
      each.indicationId,
      [each.outcome, each.decidedBy],
    ]),
  );

describe("EN ISO 10675-1 level 2, t = 12 mm, 16 mm wide, 300 mm long, multi-pass", () => {
  // Level 2 limits at t = 12 mm: pore d ≤ min(0.3 × 12, 4) = 3.6 mm; porosity ≤ 3 % of
  // 100 mm × 16 mm = 48 mm²; slag h ≤ min(3.6, 3) = 3 mm, l ≤ min(12, 50) = 12 mm;
  // tungsten ≤ min(3.6, 3) = 3 mm; undercut depth ≤ min(1.2, 0.5) = 0.5 mm.
  const weld = { id: "W-EN-1", thicknessMm: 12, widthMm: 16, lengthMm: 300, passes: "multiple" as const };
  const indications: Indication[] = [
    pore("P1", 20, 2), // d 2.0 ≤ 3.6: accept
    indication("P2", "porosity", { x: 60, y: 6 }, { along: 3.6, across: 3.4 }), // d 3.6, at the limit: accept
    indication("S1", "slag_inclusion", { x: 150, y: 7 }, { along: 10, across: 2 }), // l 10 ≤ 12, h 2 ≤ 3: accept
    indication("T1", "tungsten_inclusion", { x: 200, y: 8 }, { along: 1.5, across: 1.2 }), // 1.5 ≤ 3: accept
    indication("S2", "slag_inclusion", { x: 240, y: 7 }, { along: 13, across: 2.5 }), // l 13 > 12: reject
    indication("U1", "undercut", { x: 0, y: 0 }, { along: 40, across: 1 }), // no depth: cannot evaluate
  ];
  // Porosity: P1 and P2 lie within 100 mm; π/4 × (2 × 2 + 3.6 × 3.4) = 12.76 mm² = 0.80 % ≤ 3 %.

  test("rejected, by the slag length rule; the undercut cannot be evaluated", () => {
    const verdict = evaluateWeld("en-iso-10675-1", 2, weld, indications);
    expect(verdict.verdict).toBe("reject");
    expect(verdict.weldId).toBe("W-EN-1");
    expect(verdict.decidingRules).toEqual(["en-iso-10675-1.solid-inclusion"]);
    expect(outcomes(verdict)).toEqual({
      P1: ["accept", "en-iso-10675-1.single-pore"],
      P2: ["accept", "en-iso-10675-1.single-pore"],
      S1: ["accept", "en-iso-10675-1.solid-inclusion"],
      T1: ["accept", "en-iso-10675-1.tungsten-inclusion"],
      S2: ["reject", "en-iso-10675-1.solid-inclusion"],
      U1: ["cannot_evaluate", "en-iso-10675-1.undercut"],
    });
    const area = verdict.indications[0]?.findings.find(
      (each) => each.ruleId === "en-iso-10675-1.porosity-area",
    );
    expect(area?.measured).toBeCloseTo((100 * (Math.PI / 4) * (4 + 3.6 * 3.4)) / 1600, 9);
  });

  test("without S2, the unmeasured undercut leaves it 'cannot be evaluated'", () => {
    const verdict = evaluateWeld(
      "en-iso-10675-1",
      2,
      weld,
      indications.filter((each) => each.id !== "S2"),
    );
    expect(verdict.verdict).toBe("cannot_evaluate");
    expect(verdict.decidingRules).toEqual(["en-iso-10675-1.undercut"]);
    expect(verdict.missingFields).toEqual(["depthMm (of the indication)"]);
  });

  test("with the undercut measured at 0.4 mm, accepted", () => {
    const measured = indications
      .filter((each) => each.id !== "S2")
      .map((each) => (each.id === "U1" ? { ...each, depthMm: 0.4 } : each));
    expect(evaluateWeld("en-iso-10675-1", 2, weld, measured).verdict).toBe("accept");
  });

  test("the same weld at level 1 rejects P2 too (d ≤ min(2.4, 3) = 2.4 mm)", () => {
    const verdict = evaluateWeld("en-iso-10675-1", 1, weld, indications);
    expect(outcomes(verdict).P2).toEqual(["reject", "en-iso-10675-1.single-pore"]);
  });
});

describe("ASME VIII-1 UW-51 with Appendix 4, t = 1/2 in. (12.7 mm), charts compared: within", () => {
  // At t = 1/2 in.: relevant if over 1/32 in. (0.794 mm); random rounded ≤ min(t/4, 5/32 in.) =
  // 3.175 mm; isolated (≥ 1 in. from others) ≤ min(t/3, 1/4 in.) = 4.233 mm; elongated ≤ 1/4 in. =
  // 6.35 mm; indications in line: aggregate ≤ t = 12.7 mm in 12t = 152.4 mm unless more than 6L apart.
  const weld = {
    id: "W-ASME-1",
    thicknessMm: inchesToMm(0.5),
    lengthMm: 300,
    roundedIndicationCharts: "within" as const,
  };
  const indications: Indication[] = [
    pore("R0", 10, 0.7), // 0.7 ≤ 0.794: not relevant
    indication("R1", "porosity", { x: 40, y: 5 }, { along: 3, across: 2.8 }), // random (R2 5 mm away), 3.0 ≤ 3.175
    pore("R2", 48, 2), // random, 2.0 ≤ 3.175
    indication("R3", "porosity", { x: 120, y: 5 }, { along: 4, across: 3.8 }), // isolated (≥ 46 mm away), 4.0 ≤ 4.233
    indication("E1", "slag_inclusion", { x: 170, y: 7 }, { along: 6, across: 1.5 }), // elongated, 6.0 ≤ 6.35
    indication("E2", "slag_inclusion", { x: 185, y: 7.2 }, { along: 5, across: 1.2 }), // elongated, 5.0 ≤ 6.35
    indication("E3", "slag_inclusion", { x: 195, y: 7.1 }, { along: 4, across: 1 }), // elongated, 4.0 ≤ 6.35
  ];
  // E1, E2, E3 are in line, 9 and 5 mm apart (≤ 6L = 36 mm): aggregate 6 + 5 + 4 = 15 mm > 12.7 mm.

  test("rejected by UW-51(b)(3); each indication alone would pass", () => {
    const verdict = evaluateWeld("asme-viii-1", "uw-51", weld, indications);
    expect(verdict.verdict).toBe("reject");
    expect(verdict.decidingRules).toEqual(["asme-viii-1.uw-51-b-3"]);
    expect(outcomes(verdict)).toEqual({
      R0: ["accept", "asme-viii-1.app-4-3-b"],
      R1: ["accept", "asme-viii-1.app-4-3-c"],
      R2: ["accept", "asme-viii-1.app-4-3-c"],
      R3: ["accept", "asme-viii-1.app-4-3-c"],
      E1: ["reject", "asme-viii-1.uw-51-b-3"],
      E2: ["reject", "asme-viii-1.uw-51-b-3"],
      E3: ["reject", "asme-viii-1.uw-51-b-3"],
    });
    const r3 = verdict.indications.find((each) => each.indicationId === "R3")?.findings[0];
    expect(r3?.limit).toBeCloseTo(inchesToMm(0.5) / 3, 9);
  });

  test("without E3 (aggregate 11 mm ≤ 12.7 mm), accepted", () => {
    const verdict = evaluateWeld(
      "asme-viii-1",
      "uw-51",
      weld,
      indications.filter((each) => each.id !== "E3"),
    );
    expect(verdict.verdict).toBe("accept");
  });

  test("without the chart comparison, cannot be evaluated, naming the field", () => {
    const { roundedIndicationCharts: _, ...noCharts } = weld;
    const verdict = evaluateWeld(
      "asme-viii-1",
      "uw-51",
      noCharts,
      indications.filter((each) => each.id !== "E3"),
    );
    expect(verdict.verdict).toBe("cannot_evaluate");
    expect(verdict.missingFields).toEqual(["roundedIndicationCharts"]);
  });
});

describe("ISO 6520-1 mapping and the rule tables", () => {
  test("every class of the shipped model maps to a reference number", async () => {
    const card = await readFile(join(import.meta.dir, "../../inference/models/MODEL_CARD.md"), "utf8");
    const classes = [...card.matchAll(/^\| \d+ \| `([a-z_]+)` \|/gm)].map((match) => match[1] ?? "");
    expect(classes.length).toBe(6);
    expect(Object.fromEntries(classes.map((label) => [label, iso6520ForLabel(label)?.code]))).toEqual({
      porosity: "2011",
      crack: "100",
      slag_inclusion: "301",
      lack_of_fusion: "401",
      undercut: "5011",
      tungsten_inclusion: "3041",
    });
  });

  test("class names are unique", () => {
    expect(new Set(ISO_6520_1_CLASSES.map((each) => each.label)).size).toBe(ISO_6520_1_CLASSES.length);
  });

  test("every rule cites its clause; every unverified one says why", () => {
    const rules = [...Object.values(EN_ISO_10675_1), ...Object.values(ASME_VIII_1)].filter(
      (value) => typeof value === "object",
    );
    const ids = rules.map((rule) => rule.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const rule of rules) {
      const source = SourceSchema.parse(rule.source);
      expect(source.clause.length).toBeGreaterThan(0);
      if (!source.verified) expect(source.note?.length ?? 0).toBeGreaterThan(0);
    }
  });
});

describe("indicationFromDetection", () => {
  const detection = { label: "porosity", box: { x1: 100, y1: 20, x2: 110, y2: 40 } };
  test("a horizontal bead keeps x along the weld, in mm", () => {
    expect(indicationFromDetection("d1", detection, { x: 0.1, y: 0.05 }, "x").box).toEqual({
      x1: 10,
      y1: 1,
      x2: 11,
      y2: 2,
    });
  });
  test("a slanted slag line is judged on its measured length and width, not its box's sides", () => {
    // Box 200 × 100 px at 0.1 mm: 20 × 10 mm. The inclusion runs corner to corner, 3 px wide.
    const slanted = {
      label: "slag_inclusion",
      box: { x1: 0, y1: 0, x2: 200, y2: 100 },
      extent: { line: { x1: 0, y1: 0, x2: 200, y2: 100 }, widthPx: 3, method: "segmented" as const },
    };
    const measured = indicationFromDetection("s1", slanted, { x: 0.1, y: 0.1 }, "x");
    expect(measured.lengthMm).toBeCloseTo(Math.hypot(20, 10), 9);
    expect(measured.widthMm).toBeCloseTo(0.3, 9);
    // t = 21 mm, level 2: l ≤ t = 21 mm, h ≤ 0.3 t capped at 3 mm.
    const verdict = evaluateWeld("en-iso-10675-1", 2, { thicknessMm: 21 }, [measured]);
    const findings = verdict.indications[0]?.findings ?? [];
    const width = findings.find((f) => f.explanation.includes("width"));
    const length = findings.find((f) => f.explanation.includes("length"));
    expect(width).toMatchObject({ outcome: "accept", measured: expect.closeTo(0.3, 9) });
    expect(length).toMatchObject({ outcome: "reject", measured: expect.closeTo(Math.hypot(20, 10), 9) });
    // By its box alone, the same inclusion would be 20 mm long (passing) and 10 mm wide.
    const boxOnly = indicationFromDetection("s1", { ...slanted, extent: undefined }, { x: 0.1, y: 0.1 }, "x");
    expect(boxOnly.lengthMm).toBeUndefined();
    const unmeasured = { ...slanted, extent: { ...slanted.extent, method: "box" as const } };
    expect(indicationFromDetection("s1", unmeasured, { x: 0.1, y: 0.1 }, "x").lengthMm).toBeUndefined();
  });
  test("a vertical bead turns the box so x runs along it", () => {
    expect(indicationFromDetection("d1", detection, { x: 0.1, y: 0.05 }, "y").box).toEqual({
      x1: 1,
      y1: 10,
      x2: 2,
      y2: 11,
    });
  });
});
