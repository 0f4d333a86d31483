import { describe, expect, test } from "bun:test";
import type { Detection } from "@common/contracts/detect-result";
import { classAgreement, pickedForShadow, sumAgreement } from "@edge/evaluations/agreement";
import { uuidv7 } from "uuidv7";

const box = (label: string, x1: number, y1: number, x2: number, y2: number, score = 0.9): Detection => ({
  classId: label === "crack" ? 1 : 0,
  label,
  score,
  box: { x1, y1, x2, y2 },
});

describe("classAgreement on hand-built cases", () => {
  test("identical detections all match", () => {
    const same = [box("porosity", 0, 0, 10, 10), box("crack", 20, 20, 40, 30)];
    expect(classAgreement(same, same)).toEqual([
      { label: "crack", matched: 1, extra: 0, missing: 0 },
      { label: "porosity", matched: 1, extra: 0, missing: 0 },
    ]);
  });

  test("IoU below 0.5, another class, and leftovers on either side", () => {
    const production = [
      box("porosity", 0, 0, 10, 10),
      box("porosity", 50, 50, 60, 60),
      box("crack", 20, 20, 40, 30),
    ];
    const candidate = [
      // IoU 0.81 with the first porosity box: a match.
      box("porosity", 1, 1, 10, 10),
      // Half outside the second (IoU 1/3): extra, and that box is missing.
      box("porosity", 55, 50, 65, 60),
      // Right place, wrong class: an extra slag, and the crack is missing.
      box("slag", 20, 20, 40, 30),
    ];
    expect(classAgreement(production, candidate)).toEqual([
      { label: "crack", matched: 0, extra: 0, missing: 1 },
      { label: "porosity", matched: 1, extra: 1, missing: 1 },
      { label: "slag", matched: 0, extra: 1, missing: 0 },
    ]);
  });

  test("a production box is matched once: the higher-scoring candidate takes it", () => {
    const production = [box("porosity", 0, 0, 10, 10)];
    const candidate = [box("porosity", 0, 0, 10, 10, 0.4), box("porosity", 0, 0, 10, 9, 0.8)];
    expect(classAgreement(production, candidate)).toEqual([
      { label: "porosity", matched: 1, extra: 1, missing: 0 },
    ]);
  });

  test("nothing on either side agrees fully; sums add per class with the rate", () => {
    expect(classAgreement([], [])).toEqual([]);
    const summed = sumAgreement([
      [{ label: "porosity", matched: 3, extra: 1, missing: 0 }],
      [
        { label: "porosity", matched: 1, extra: 0, missing: 1 },
        { label: "crack", matched: 0, extra: 0, missing: 2 },
      ],
      [],
    ]);
    expect(summed.perClass).toEqual([
      { label: "crack", matched: 0, extra: 0, missing: 2, agreement: 0 },
      { label: "porosity", matched: 4, extra: 1, missing: 1, agreement: 4 / 6 },
    ]);
    expect(summed.total).toEqual({ matched: 4, extra: 1, missing: 3, agreement: 0.5 });
    expect(sumAgreement([]).total.agreement).toBe(1);
  });
});

describe("pickedForShadow", () => {
  test("is deterministic per job and close to the share over many jobs", () => {
    const shadow = uuidv7();
    const jobs = Array.from({ length: 4000 }, () => uuidv7());
    for (const share of [0.05, 0.25, 0.5]) {
      const picked = jobs.filter((job) => pickedForShadow(shadow, job, share));
      expect(picked.length / jobs.length).toBeGreaterThan(share - 0.03);
      expect(picked.length / jobs.length).toBeLessThan(share + 0.03);
      expect(jobs.filter((job) => pickedForShadow(shadow, job, share))).toEqual(picked);
    }
    // A larger share only adds jobs: the picks are nested.
    const small = new Set(jobs.filter((job) => pickedForShadow(shadow, job, 0.1)));
    for (const job of small) expect(pickedForShadow(shadow, job, 0.5)).toBe(true);
    expect(jobs.some((job) => pickedForShadow(shadow, job, 0))).toBe(false);
  });
});
