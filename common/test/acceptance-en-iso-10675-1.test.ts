import { describe, expect, test } from "bun:test";
import { evaluateWeld, WeldVerdictSchema } from "@common/acceptance";
import { indication, pore } from "./acceptance-fixtures";

// Clause by clause, at each limit and just past it. Limits are EN_ISO_10675_1's data; the expected
// numbers below are worked by hand from it.

const results = (verdict: ReturnType<typeof evaluateWeld>) =>
  Object.fromEntries(WeldVerdictSchema.parse(verdict).indications.map((each) => [each.indicationId, each]));

// A single pore also counts towards porosity by area, which needs the weld's width, length and passes.
const full = { widthMm: 20, lengthMm: 300, passes: "multiple" as const };

describe("EN ISO 10675-1 single pore (d ≤ 0.3t, max 4 mm at level 2)", () => {
  test("t = 10 mm: 3.0 mm is at the limit and accepted, 3.01 mm rejected", () => {
    const verdict = evaluateWeld("en-iso-10675-1", 2, { ...full, thicknessMm: 10 }, [
      pore("at", 0, 3),
      pore("over", 50, 3.01),
    ]);
    const byId = results(verdict);
    expect(byId.at?.outcome).toBe("accept");
    expect(byId.over?.outcome).toBe("reject");
    expect(byId.over?.decidedBy).toBe("en-iso-10675-1.single-pore");
    expect(byId.over?.findings[0]?.limit).toBeCloseTo(3, 9);
  });

  test("t = 20 mm: the 4 mm cap applies (0.3t would be 6 mm)", () => {
    const byId = results(
      evaluateWeld("en-iso-10675-1", 2, { ...full, thicknessMm: 20 }, [
        pore("at", 0, 4),
        pore("over", 50, 4.01),
      ]),
    );
    expect(byId.at?.outcome).toBe("accept");
    expect(byId.over?.outcome).toBe("reject");
  });

  test("levels 1 and 3 at t = 10 mm: 2 mm and 4 mm", () => {
    expect(evaluateWeld("en-iso-10675-1", 1, { ...full, thicknessMm: 10 }, [pore("p", 0, 2)]).verdict).toBe(
      "accept",
    );
    expect(
      evaluateWeld("en-iso-10675-1", 1, { ...full, thicknessMm: 10 }, [pore("p", 0, 2.01)]).verdict,
    ).toBe("reject");
    expect(evaluateWeld("en-iso-10675-1", 3, { ...full, thicknessMm: 10 }, [pore("p", 0, 4)]).verdict).toBe(
      "accept",
    );
    expect(
      evaluateWeld("en-iso-10675-1", 3, { ...full, thicknessMm: 10 }, [pore("p", 0, 4.01)]).verdict,
    ).toBe("reject");
  });

  test("without t it cannot be evaluated, and says so", () => {
    const verdict = evaluateWeld("en-iso-10675-1", 2, full, [pore("p", 0, 1)]);
    expect(verdict.verdict).toBe("cannot_evaluate");
    expect(verdict.missingFields).toEqual(["thicknessMm"]);
    expect(verdict.decidingRules).toEqual(["en-iso-10675-1.single-pore"]);
  });
});

describe("EN ISO 10675-1 cracks", () => {
  test.each([1, 2, 3] as const)("rejected at level %d, with or without t", (level) => {
    const crack = indication("c", "crack", { x: 0, y: 4 }, { along: 0.5, across: 0.2 });
    for (const weld of [{ thicknessMm: 10 }, {}]) {
      const verdict = evaluateWeld("en-iso-10675-1", level, weld, [crack]);
      expect(verdict.verdict).toBe("reject");
      expect(verdict.decidingRules).toEqual(["en-iso-10675-1.crack"]);
    }
  });
});

describe("EN ISO 10675-1 lack of fusion", () => {
  const lof = (length: number) =>
    indication("f", "lack_of_fusion", { x: 0, y: 2 }, { along: length, across: 0.5 });
  test("rejected at levels 1 and 2 whatever its length", () => {
    expect(evaluateWeld("en-iso-10675-1", 1, { thicknessMm: 10 }, [lof(1)]).verdict).toBe("reject");
    expect(evaluateWeld("en-iso-10675-1", 2, { thicknessMm: 10 }, [lof(1)]).verdict).toBe("reject");
  });
  test("level 3: 25 mm accepted, 25.1 mm rejected", () => {
    expect(evaluateWeld("en-iso-10675-1", 3, { thicknessMm: 10 }, [lof(25)]).verdict).toBe("accept");
    expect(evaluateWeld("en-iso-10675-1", 3, { thicknessMm: 10 }, [lof(25.1)]).verdict).toBe("reject");
  });
  test("level 3: two 15 mm lengths within 100 mm exceed the 25 mm total", () => {
    const two = [
      indication("a", "lack_of_fusion", { x: 0, y: 2 }, { along: 15, across: 0.5 }),
      indication("b", "lack_of_fusion", { x: 60, y: 2 }, { along: 15, across: 0.5 }),
    ];
    const verdict = evaluateWeld("en-iso-10675-1", 3, { thicknessMm: 10 }, two);
    expect(verdict.verdict).toBe("reject");
    expect(verdict.indications.every((each) => each.outcome === "reject")).toBe(true);
  });
});

describe("EN ISO 10675-1 porosity as % of projected area (level 2, multi-pass: 3 %)", () => {
  // Reference area 100 mm × 10 mm = 1000 mm²; 3 % is 30 mm², three pores of 10 mm² each.
  const weld = { thicknessMm: 20, widthMm: 10, lengthMm: 300, passes: "multiple" as const };
  const diameterFor = (areaMm2: number) => Math.sqrt((4 * areaMm2) / Math.PI);
  const threePores = (areaEach: number) => [0, 30, 60].map((x, i) => pore(`p${i}`, x, diameterFor(areaEach)));

  test("30 mm² in 1000 mm² is at the limit and accepted", () => {
    const verdict = evaluateWeld("en-iso-10675-1", 2, weld, threePores(10));
    expect(verdict.verdict).toBe("accept");
    const area = verdict.indications[0]?.findings.find(
      (each) => each.ruleId === "en-iso-10675-1.porosity-area",
    );
    expect(area?.measured).toBeCloseTo(3, 9);
  });

  test("just above 3 % is rejected, naming the area rule", () => {
    const verdict = evaluateWeld("en-iso-10675-1", 2, weld, threePores(10.05));
    expect(verdict.verdict).toBe("reject");
    expect(verdict.decidingRules).toEqual(["en-iso-10675-1.porosity-area"]);
  });

  test("a single-pass weld is held to 1.5 %", () => {
    expect(evaluateWeld("en-iso-10675-1", 2, { ...weld, passes: "single" }, threePores(10)).verdict).toBe(
      "reject",
    );
  });

  test("the worst 100 mm counts: 3 × 12 mm² is 3.6 % within 100 mm, 1.2 % when 110 mm apart", () => {
    const at = (xs: number[]) => xs.map((x, i) => pore(`p${i}`, x, diameterFor(12)));
    expect(evaluateWeld("en-iso-10675-1", 2, weld, at([0, 30, 60])).verdict).toBe("reject");
    expect(evaluateWeld("en-iso-10675-1", 2, weld, at([0, 110, 220])).verdict).toBe("accept");
  });

  test("missing width, length or passes: cannot be evaluated, fields listed", () => {
    const verdict = evaluateWeld("en-iso-10675-1", 2, { thicknessMm: 20 }, threePores(1));
    expect(verdict.verdict).toBe("cannot_evaluate");
    expect(verdict.missingFields.sort()).toEqual(["lengthMm", "passes", "widthMm"]);
  });
});

describe("EN ISO 10675-1 clustered or linear porosity", () => {
  test("three pores closer than their diameter are left to the inspector", () => {
    const weld = { thicknessMm: 20, widthMm: 10, lengthMm: 300, passes: "multiple" as const };
    const verdict = evaluateWeld("en-iso-10675-1", 2, weld, [
      pore("a", 0, 1),
      pore("b", 1.5, 1),
      pore("c", 3, 1),
    ]);
    expect(verdict.verdict).toBe("cannot_evaluate");
    expect(verdict.decidingRules).toEqual(["en-iso-10675-1.grouped-porosity"]);
  });
});

describe("EN ISO 10675-1 slag inclusions (level 2: h ≤ 0.3t max 3 mm, l ≤ t max 50 mm)", () => {
  const slag = (id: string, along: number, across: number) =>
    indication(id, "slag_inclusion", { x: 0, y: 3 }, { along, across });
  test("t = 10 mm: a 10 mm line is accepted, 10.01 mm rejected", () => {
    expect(evaluateWeld("en-iso-10675-1", 2, { thicknessMm: 10 }, [slag("s", 10, 1)]).verdict).toBe("accept");
    const over = evaluateWeld("en-iso-10675-1", 2, { thicknessMm: 10 }, [slag("s", 10.01, 1)]);
    expect(over.verdict).toBe("reject");
    expect(over.indications[0]?.findings.find((each) => each.outcome === "reject")?.limit).toBe(10);
  });
  test("t = 60 mm: the length cap is 50 mm", () => {
    expect(evaluateWeld("en-iso-10675-1", 2, { thicknessMm: 60 }, [slag("s", 50, 2)]).verdict).toBe("accept");
    expect(evaluateWeld("en-iso-10675-1", 2, { thicknessMm: 60 }, [slag("s", 50.5, 2)]).verdict).toBe(
      "reject",
    );
  });
  test("t = 10 mm: width 3 mm accepted, 3.1 mm rejected", () => {
    expect(evaluateWeld("en-iso-10675-1", 2, { thicknessMm: 10 }, [slag("s", 8, 3)]).verdict).toBe("accept");
    expect(evaluateWeld("en-iso-10675-1", 2, { thicknessMm: 10 }, [slag("s", 8, 3.1)]).verdict).toBe(
      "reject",
    );
  });
});

describe("EN ISO 10675-1 tungsten and undercut", () => {
  test("tungsten at level 1, t = 10 mm: 2 mm accepted, 2.01 mm rejected", () => {
    const w = (size: number) =>
      indication("w", "tungsten_inclusion", { x: 0, y: 3 }, { along: size, across: 1 });
    expect(evaluateWeld("en-iso-10675-1", 1, { thicknessMm: 10 }, [w(2)]).verdict).toBe("accept");
    expect(evaluateWeld("en-iso-10675-1", 1, { thicknessMm: 10 }, [w(2.01)]).verdict).toBe("reject");
  });

  test("undercut without a measured depth cannot be evaluated from the film", () => {
    const u = indication("u", "undercut", { x: 0, y: 0 }, { along: 30, across: 1 });
    const verdict = evaluateWeld("en-iso-10675-1", 2, { thicknessMm: 10 }, [u]);
    expect(verdict.verdict).toBe("cannot_evaluate");
    expect(verdict.missingFields).toEqual(["depthMm (of the indication)"]);
  });

  test("undercut with a depth, level 2, t = 10 mm: 0.5 mm accepted, 0.51 mm rejected", () => {
    const u = (depth: number) => indication("u", "undercut", { x: 0, y: 0 }, { along: 30, across: 1 }, depth);
    expect(evaluateWeld("en-iso-10675-1", 2, { thicknessMm: 10 }, [u(0.5)]).verdict).toBe("accept");
    expect(evaluateWeld("en-iso-10675-1", 2, { thicknessMm: 10 }, [u(0.51)]).verdict).toBe("reject");
  });
});

describe("EN ISO 10675-1 inputs", () => {
  test("a class with no ISO 6520-1 mapping cannot be evaluated", () => {
    const odd = indication("x", "spatter", { x: 0, y: 0 }, { along: 1, across: 1 });
    expect(evaluateWeld("en-iso-10675-1", 2, { thicknessMm: 10 }, [odd]).verdict).toBe("cannot_evaluate");
  });
  test("no indications: accepted", () => {
    expect(evaluateWeld("en-iso-10675-1", 2, { thicknessMm: 10 }, []).verdict).toBe("accept");
  });
  test("duplicate indication ids are refused", () => {
    expect(() =>
      evaluateWeld("en-iso-10675-1", 2, { thicknessMm: 10 }, [pore("a", 0, 1), pore("a", 9, 1)]),
    ).toThrow();
  });
  test("a level the standard does not have is refused", () => {
    expect(() => evaluateWeld("en-iso-10675-1", 4 as 1, { thicknessMm: 10 }, [])).toThrow();
  });
});
