import { ASME_VIII_1 as ASME, type InchRange } from "./asme-viii-1";
import { limitFinding, missingFinding, plainFinding, unmappedClassFinding } from "./findings";
import { centreAlong, edgeDistanceMm, extentMm, gapAlongMm, linkedGroups, worstWindow } from "./geometry";
import { type ImperfectionKind, iso6520ForLabel } from "./iso-6520-1";
import type { Finding, Indication, Weld } from "./schema";
import { inchesToMm, mmToInches, withinLimit } from "./units";

const NEEDS_T = "needs the weld's thickness t";

/** The limit in mm of the first range t falls in (ranges inclusive of their upper bound). */
export function rangeLimitMm(ranges: readonly InchRange[], thicknessMm: number): number {
  const tIn = mmToInches(thicknessMm);
  const range = ranges.find((each) => withinLimit(tIn, each.upToIn, "<=")) ?? ranges[ranges.length - 1];
  if (range?.fixedIn !== undefined) return inchesToMm(range.fixedIn);
  return (range?.fractionOfT ?? 0) * thicknessMm;
}

/** Rounded: length at most three times the width (4-2(a)). */
export function isRounded(indication: Indication): boolean {
  const { length, width } = extentMm(indication);
  return withinLimit(length, ASME.shape.limits.roundedMaxLengthToWidth * width, "<=");
}

/** Largest permitted rounded indication: random, or isolated when 1 in. or more from any other. */
export function roundedSizeLimitMm(thicknessMm: number, isolated: boolean): number {
  const { random, isolated: alone, isolatedThick } = ASME.roundedSize.limits;
  if (!isolated) return Math.min(random.fractionOfT * thicknessMm, inchesToMm(random.capIn));
  const capIn = mmToInches(thicknessMm) > isolatedThick.overTIn ? isolatedThick.capIn : alone.capIn;
  return Math.min(alone.fractionOfT * thicknessMm, inchesToMm(capIn));
}

function undercutFinding(t: number | undefined, indication: Indication): Finding {
  if (t === undefined || indication.depthMm === undefined) {
    const missing = [
      ...(t === undefined ? ["thicknessMm"] : []),
      ...(indication.depthMm === undefined ? ["depthMm (of the indication)"] : []),
    ];
    return missingFinding(
      ASME.undercut,
      [indication],
      missing,
      "undercut is a surface condition graded by depth, which a radiograph does not show",
    );
  }
  const limit = Math.min(ASME.undercut.limits.fractionOfT * t, inchesToMm(ASME.undercut.limits.capIn));
  return limitFinding(ASME.undercut, [indication], { measured: indication.depthMm, limit }, "undercut depth");
}

/** A volumetric indication (pore, slag, tungsten): elongated by UW-51(b)(2), rounded by Appendix 4. */
function volumetricFinding(t: number, indication: Indication, others: readonly Indication[]): Finding {
  const { length } = extentMm(indication);
  if (!isRounded(indication)) {
    const limit = rangeLimitMm(ASME.elongatedLength.limits.ranges, t);
    return limitFinding(
      ASME.elongatedLength,
      [indication],
      { measured: length, limit },
      "elongated indication length",
    );
  }
  const relevance = rangeLimitMm(ASME.relevance.limits.ranges, t);
  if (withinLimit(length, relevance, "<=")) {
    return plainFinding(
      ASME.relevance,
      [indication],
      "accept",
      `rounded indication ${Number(length.toFixed(3))} mm is not relevant (≤ ${Number(relevance.toFixed(3))} mm)`,
    );
  }
  const separationMm = inchesToMm(ASME.roundedSize.limits.isolated.separationIn);
  const nearest = Math.min(...others.map((other) => edgeDistanceMm(indication.box, other.box)));
  const isolated = withinLimit(separationMm, nearest, "<=");
  const limit = roundedSizeLimitMm(t, isolated);
  const what = `${isolated ? "isolated" : "random"} rounded indication size`;
  return limitFinding(ASME.roundedSize, [indication], { measured: length, limit }, what);
}

function indicationFindings(
  weld: Weld,
  indication: Indication,
  kind: ImperfectionKind,
  all: readonly Indication[],
): Finding[] {
  const t = weld.thicknessMm;
  switch (kind) {
    case "crack":
    case "lack_of_fusion":
    case "lack_of_penetration":
      return [
        plainFinding(
          ASME.crackOrIncompleteFusion,
          [indication],
          "reject",
          "cracks, incomplete fusion or penetration",
        ),
      ];
    case "undercut":
      return [undercutFinding(t, indication)];
    case "gas_pore":
    case "solid_inclusion":
    case "tungsten_inclusion": {
      const rule = isRounded(indication) ? ASME.roundedSize : ASME.elongatedLength;
      if (t === undefined) return [missingFinding(rule, [indication], ["thicknessMm"], NEEDS_T)];
      const others = all.filter((other) => other.id !== indication.id);
      return [volumetricFinding(t, indication, others)];
    }
  }
}

/** Whether every box touches one line parallel to the weld axis (their extents across it overlap). */
function shareALine(indications: readonly Indication[]): boolean {
  const low = Math.max(...indications.map((each) => each.box.y1));
  const high = Math.min(...indications.map((each) => each.box.y2));
  return low <= high;
}

/**
 * UW-51(b)(3): elongated indications in line, grouped while successive ones are no more than 6L
 * apart (L the longest of the group, found by regrouping until it settles), then the aggregate
 * length in any 12t.
 */
function alignedElongated(t: number, elongated: readonly Indication[]): Finding[] {
  const { aggregateFractionOfT, windowFactorOfT, spacingFactorOfLongest } = ASME.alignedElongated.limits;
  let longest = new Map(elongated.map((each) => [each.id, extentMm(each).length]));
  let groups: Indication[][] = [];
  for (let settled = false; !settled; ) {
    const current = longest;
    groups = linkedGroups(
      elongated,
      (a, b) =>
        shareALine([a, b]) &&
        gapAlongMm(a.box, b.box) <=
          spacingFactorOfLongest * Math.max(current.get(a.id) ?? 0, current.get(b.id) ?? 0),
    );
    const next = new Map(
      groups.flatMap((group) => {
        const groupLongest = Math.max(...group.map((each) => extentMm(each).length));
        return group.map((each) => [each.id, groupLongest] as const);
      }),
    );
    settled = [...next].every(([id, value]) => current.get(id) === value);
    longest = next;
  }
  return groups
    .filter((group) => group.length >= 2)
    .map((group) => {
      const worst = worstWindow(group, windowFactorOfT * t, (each) => extentMm(each).length);
      const limit = aggregateFractionOfT * t;
      const members = withinLimit(worst.total, limit, "<=") ? group : worst.members;
      const what = `aggregate length of ${group.length} indications in line, in ${windowFactorOfT}t`;
      return limitFinding(ASME.alignedElongated, members, { measured: worst.total, limit }, what);
    });
}

/** 4-3(d): four or more relevant rounded indications on one line; their sum in 12t must be under t. */
function alignedRounded(t: number, rounded: readonly Indication[]): Finding[] {
  const { minCount, sumFractionOfT, windowFactorOfT } = ASME.alignedRounded.limits;
  const lines = [...new Set(rounded.flatMap((each) => [each.box.y1, each.box.y2]))];
  const found = new Map<string, Finding>();
  for (const y of lines) {
    const onLine = rounded
      .filter((each) => each.box.y1 <= y && y <= each.box.y2)
      .sort((a, b) => centreAlong(a.box) - centreAlong(b.box));
    for (const [i, first] of onLine.entries()) {
      const members = onLine
        .slice(i)
        .filter((each) => centreAlong(each.box) - centreAlong(first.box) <= windowFactorOfT * t);
      if (members.length < minCount) continue;
      const sum = members.reduce((total, each) => total + extentMm(each).length, 0);
      const key = members.map((each) => each.id).join(",");
      const finding = limitFinding(
        ASME.alignedRounded,
        members,
        { measured: sum, limit: sumFractionOfT * t, comparison: "<" },
        `sum of ${members.length} aligned rounded indications in ${windowFactorOfT}t`,
      );
      found.set(key, finding);
    }
  }
  const sets = [...found.values()];
  const isSubsetOfAnother = (finding: Finding) =>
    sets.some(
      (other) =>
        other !== finding &&
        other.indicationIds.length > finding.indicationIds.length &&
        finding.indicationIds.every((id) => other.indicationIds.includes(id)),
    );
  return sets.filter((finding) => !isSubsetOfAnother(finding));
}

/**
 * Density of rounded indications: for t ≥ 1/8 in., the inspector's comparison with the charts
 * (4-3(f)); below it, a count per 6 in. of weld, proportionally fewer in a shorter weld (4-3(g)).
 */
function roundedDensity(weld: Weld, t: number, rounded: readonly Indication[]): Finding[] {
  if (rounded.length === 0) return [];
  if (mmToInches(t) >= ASME.charts.limits.fromTIn) {
    const charts = weld.roundedIndicationCharts;
    if (charts === undefined) {
      return [
        missingFinding(
          ASME.charts,
          rounded,
          ["roundedIndicationCharts"],
          "compare the rounded indications with Figures 4-3 to 4-8 and record the result",
        ),
      ];
    }
    const outcome = charts === "within" ? "accept" : "reject";
    return [
      plainFinding(ASME.charts, rounded, outcome, `the inspector found the density ${charts} the charts`),
    ];
  }
  if (weld.lengthMm === undefined) {
    return [
      missingFinding(
        ASME.thinWeldCount,
        rounded,
        ["lengthMm"],
        "the count per length needs the weld's length",
      ),
    ];
  }
  const { maxCount, perLengthIn } = ASME.thinWeldCount.limits;
  const perLengthMm = inchesToMm(perLengthIn);
  const limit = (maxCount * Math.min(weld.lengthMm, perLengthMm)) / perLengthMm;
  const worst = worstWindow(rounded, perLengthMm, () => 1);
  const members = withinLimit(worst.total, limit, "<=") ? rounded : worst.members;
  return [
    limitFinding(
      ASME.thinWeldCount,
      members,
      { measured: worst.total, limit, unit: "count" },
      `rounded indications in ${Number(Math.min(weld.lengthMm, perLengthMm).toFixed(1))} mm of weld`,
    ),
  ];
}

/** All findings for a weld under ASME VIII-1 UW-51(b) with Appendix 4. */
export function evaluateAsmeViii1(weld: Weld, indications: readonly Indication[]): Finding[] {
  const kinds = new Map(indications.map((each) => [each.id, iso6520ForLabel(each.label)?.kind]));
  const perIndication = indications.flatMap((indication) => {
    const kind = kinds.get(indication.id);
    if (kind === undefined) return [unmappedClassFinding(indication)];
    return indicationFindings(weld, indication, kind, indications);
  });
  const t = weld.thicknessMm;
  if (t === undefined) return perIndication;
  const volumetric = indications.filter((each) =>
    ["gas_pore", "solid_inclusion", "tungsten_inclusion"].includes(kinds.get(each.id) ?? ""),
  );
  const relevance = rangeLimitMm(ASME.relevance.limits.ranges, t);
  const rounded = volumetric.filter(
    (each) => isRounded(each) && !withinLimit(extentMm(each).length, relevance, "<="),
  );
  const elongated = volumetric.filter((each) => !isRounded(each));
  return [
    ...perIndication,
    ...alignedElongated(t, elongated),
    ...alignedRounded(t, rounded),
    ...roundedDensity(weld, t, rounded),
  ];
}
