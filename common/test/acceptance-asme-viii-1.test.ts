import { describe, expect, test } from "bun:test";
import { evaluateWeld, inchesToMm } from "@common/acceptance";
import { indication, pore } from "./acceptance-fixtures";

// UW-51(b) and Appendix 4, clause by clause, at each limit and just past it. Thicknesses are given
// in inches where the code states its ranges in inches, converted with inchesToMm (25.4 mm/in.).

const asme = (weld: Parameters<typeof evaluateWeld>[2], indications: Parameters<typeof evaluateWeld>[3]) =>
  evaluateWeld("asme-viii-1", "uw-51", weld, indications);

const slag = (id: string, x: number, length: number, y = 5) =>
  indication(id, "slag_inclusion", { x, y }, { along: length, across: 1 });

describe("UW-51(b)(1): cracks, incomplete fusion or penetration", () => {
  test.each(["crack", "lack_of_fusion", "lack_of_penetration"])(
    "%s is rejected at any size, t known or not",
    (label) => {
      for (const weld of [{ thicknessMm: 12.7 }, {}]) {
        const verdict = asme(weld, [indication("i", label, { x: 0, y: 0 }, { along: 0.5, across: 0.2 })]);
        expect(verdict.verdict).toBe("reject");
        expect(verdict.decidingRules).toEqual(["asme-viii-1.uw-51-b-1"]);
      }
    },
  );
});

describe("UW-51(b)(2): elongated indication length vs t", () => {
  const cases: { name: string; tMm: number; limitMm: number }[] = [
    { name: "t = 1/2 in.: 1/4 in.", tMm: inchesToMm(0.5), limitMm: inchesToMm(0.25) },
    { name: "t = 3/4 in. (range's upper end): 1/4 in.", tMm: inchesToMm(0.75), limitMm: inchesToMm(0.25) },
    { name: "t = 1 1/2 in.: t/3 = 1/2 in.", tMm: inchesToMm(1.5), limitMm: inchesToMm(0.5) },
    { name: "t = 30 mm: t/3 = 10 mm", tMm: 30, limitMm: 10 },
    {
      name: "t = 2 1/4 in. (range's upper end): t/3 = 3/4 in.",
      tMm: inchesToMm(2.25),
      limitMm: inchesToMm(0.75),
    },
    { name: "t = 3 in.: 3/4 in.", tMm: inchesToMm(3), limitMm: inchesToMm(0.75) },
  ];
  test.each(cases)("$name: at the limit accepted, 0.05 mm over rejected", ({ tMm, limitMm }) => {
    const at = asme({ thicknessMm: tMm }, [slag("s", 0, limitMm)]);
    expect(at.verdict).toBe("accept");
    expect(at.indications[0]?.decidedBy).toBe("asme-viii-1.uw-51-b-2");
    expect(asme({ thicknessMm: tMm }, [slag("s", 0, limitMm + 0.05)]).verdict).toBe("reject");
  });

  test("an indication of exactly 3 × its width is rounded, longer is elongated (4-2(a))", () => {
    const rounded = indication("r", "slag_inclusion", { x: 0, y: 0 }, { along: 3, across: 1 });
    const elongated = indication("e", "slag_inclusion", { x: 0, y: 0 }, { along: 3.1, across: 1 });
    const weld = { thicknessMm: 25.4, roundedIndicationCharts: "within" as const };
    expect(asme(weld, [rounded]).indications[0]?.decidedBy).toBe("asme-viii-1.app-4-3-c");
    expect(asme(weld, [elongated]).indications[0]?.decidedBy).toBe("asme-viii-1.uw-51-b-2");
  });
});

describe("UW-51(b)(3): indications in line, aggregate length vs t in 12t", () => {
  const weld = { thicknessMm: inchesToMm(0.5) };
  test("5 mm each, 10 mm apart (≤ 6L = 30 mm): 15 mm > t = 12.7 mm, rejected", () => {
    const verdict = asme(weld, [slag("a", 0, 5), slag("b", 15, 5), slag("c", 30, 5)]);
    expect(verdict.verdict).toBe("reject");
    expect(verdict.decidingRules).toEqual(["asme-viii-1.uw-51-b-3"]);
  });
  test("the same 31 mm apart (> 6L) are not a group: accepted", () => {
    expect(asme(weld, [slag("a", 0, 5), slag("b", 36, 5), slag("c", 72, 5)]).verdict).toBe("accept");
  });
  test("aggregate exactly t is accepted (the clause rejects only greater than t)", () => {
    const sixPointThreeFive = inchesToMm(0.25);
    expect(asme(weld, [slag("a", 0, sixPointThreeFive), slag("b", 10, sixPointThreeFive)]).verdict).toBe(
      "accept",
    );
  });
  test("not in line (apart across the weld): not a group", () => {
    expect(asme(weld, [slag("a", 0, 5, 0), slag("b", 15, 5, 6), slag("c", 30, 5, 12)]).verdict).toBe(
      "accept",
    );
  });
});

describe("Appendix 4: rounded indications", () => {
  const half = { thicknessMm: inchesToMm(0.5), roundedIndicationCharts: "within" as const };

  test("4-3(b): at t = 1/2 in., 1/32 in. is not relevant, just over it is", () => {
    const verdict = asme(half, [pore("tiny", 0, inchesToMm(1 / 32))]);
    expect(verdict.indications[0]?.decidedBy).toBe("asme-viii-1.app-4-3-b");
    expect(asme(half, [pore("small", 0, inchesToMm(1 / 32) + 0.01)]).indications[0]?.decidedBy).toBe(
      "asme-viii-1.app-4-3-c",
    );
  });

  test("4-3(c) random, t = 1/2 in.: 1/4 t = 3.175 mm accepted, 3.2 mm rejected", () => {
    const neighbour = pore("n", 10, 1);
    expect(asme(half, [pore("p", 0, 3.175), neighbour]).verdict).toBe("accept");
    expect(asme(half, [pore("p", 0, 3.2), neighbour]).verdict).toBe("reject");
  });

  test("4-3(c) random, t = 1 in.: capped at 5/32 in. (1/4 t would be 1/4 in.)", () => {
    const weld = { ...half, thicknessMm: 25.4 };
    const neighbour = pore("n", 10, 1);
    expect(asme(weld, [pore("p", 0, inchesToMm(5 / 32)), neighbour]).verdict).toBe("accept");
    expect(asme(weld, [pore("p", 0, inchesToMm(5 / 32) + 0.05), neighbour]).verdict).toBe("reject");
  });

  test("4-3(c) isolated (1 in. or more from others), t = 1/2 in.: 1/3 t accepted, over it rejected", () => {
    const limit = inchesToMm(0.5) / 3;
    const far = (d: number) => [pore("p", 0, d), pore("n", d + 25.4, 1)];
    expect(asme(half, far(limit)).verdict).toBe("accept");
    expect(asme(half, far(limit + 0.05)).verdict).toBe("reject");
    expect(asme(half, [pore("p", 0, limit), pore("n", limit + 25, 1)]).verdict).toBe("reject");
  });

  test("4-3(c) isolated, t over 2 in.: 3/8 in.", () => {
    const weld = { ...half, thicknessMm: 60 };
    expect(asme(weld, [pore("p", 0, inchesToMm(3 / 8))]).verdict).toBe("accept");
    expect(asme(weld, [pore("p", 0, inchesToMm(3 / 8) + 0.05)]).verdict).toBe("reject");
  });

  test("4-3(d) aligned, t = 1/2 in.: four pores summing under t accepted, exactly t rejected", () => {
    const four = (d: number) => [0, 10, 20, 30].map((x, i) => pore(`p${i}`, x, d));
    expect(asme(half, four(3.1)).verdict).toBe("accept");
    const atT = asme(half, four(inchesToMm(0.5) / 4));
    expect(atT.verdict).toBe("reject");
    expect(atT.decidingRules).toEqual(["asme-viii-1.app-4-3-d"]);
  });

  test("4-3(f): without the chart comparison it cannot be evaluated; 'exceeds' rejects", () => {
    const weld = { thicknessMm: inchesToMm(0.5) };
    const missing = asme(weld, [pore("p", 0, 1)]);
    expect(missing.verdict).toBe("cannot_evaluate");
    expect(missing.missingFields).toEqual(["roundedIndicationCharts"]);
    expect(asme({ ...weld, roundedIndicationCharts: "exceeds" }, [pore("p", 0, 1)]).verdict).toBe("reject");
  });

  test("4-3(g) t under 1/8 in.: 12 per 6 in., proportionally 6 in 3 in. of weld", () => {
    const weld = { thicknessMm: 2.5, lengthMm: inchesToMm(3) };
    const pores = (n: number) =>
      Array.from({ length: n }, (_, i) => pore(`p${i}`, i * 10, 0.5, i % 2 === 0 ? 0 : 5));
    expect(asme(weld, pores(6)).verdict).toBe("accept");
    const seven = asme(weld, pores(7));
    expect(seven.verdict).toBe("reject");
    expect(seven.decidingRules).toEqual(["asme-viii-1.app-4-3-g"]);
    expect(asme({ thicknessMm: 2.5 }, pores(2)).missingFields).toEqual(["lengthMm"]);
  });
});

describe("undercut under ASME", () => {
  test("needs a measured depth; with one, 1/32 in. or 0.1 t whichever is less", () => {
    const u = (depth?: number) =>
      indication("u", "undercut", { x: 0, y: 0 }, { along: 20, across: 1 }, depth);
    expect(asme({ thicknessMm: 12.7 }, [u()]).verdict).toBe("cannot_evaluate");
    expect(asme({ thicknessMm: 12.7 }, [u(inchesToMm(1 / 32))]).verdict).toBe("accept");
    expect(asme({ thicknessMm: 12.7 }, [u(inchesToMm(1 / 32) + 0.01)]).verdict).toBe("reject");
    expect(asme({ thicknessMm: 5 }, [u(0.5)]).verdict).toBe("accept");
    expect(asme({ thicknessMm: 5 }, [u(0.51)]).verdict).toBe("reject");
  });
});
