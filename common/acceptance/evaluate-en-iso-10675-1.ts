import { EN_ISO_10675_1 as EN, type EnLevel } from "./en-iso-10675-1";
import {
  limitFinding,
  missingFinding,
  missingWeldFields,
  plainFinding,
  unmappedClassFinding,
} from "./findings";
import { edgeDistanceMm, ellipseAreaMm2, extentMm, linkedGroups, worstWindow } from "./geometry";
import { type ImperfectionKind, iso6520ForLabel } from "./iso-6520-1";
import { thicknessLimitMm } from "./rule-types";
import type { Finding, Indication, Weld } from "./schema";

const NEEDS_T = "needs the weld's thickness t";

/** One indication against the rule for its kind; group rules are applied by `groupFindings`. */
function indicationFindings(
  level: EnLevel,
  weld: Weld,
  indication: Indication,
  kind: ImperfectionKind,
): Finding[] {
  const t = weld.thicknessMm;
  const { length, width } = extentMm(indication);
  const one = [indication];
  switch (kind) {
    case "crack":
      return [plainFinding(EN.crack, one, "reject", "cracks are not permitted at any acceptance level")];
    case "lack_of_fusion":
    case "lack_of_penetration": {
      const limits = EN.lackOfFusion.limits[level];
      if (limits === null)
        return [plainFinding(EN.lackOfFusion, one, "reject", `not permitted at level ${level}`)];
      return [
        limitFinding(EN.lackOfFusion, one, { measured: length, limit: limits.maxLengthMm }, "length l"),
      ];
    }
    case "gas_pore":
      if (t === undefined) return [missingFinding(EN.singlePore, one, ["thicknessMm"], NEEDS_T)];
      return [
        limitFinding(
          EN.singlePore,
          one,
          { measured: length, limit: thicknessLimitMm(EN.singlePore.limits[level], t) },
          "pore diameter d",
        ),
      ];
    case "solid_inclusion":
      if (t === undefined) return [missingFinding(EN.solidInclusion, one, ["thicknessMm"], NEEDS_T)];
      return [
        limitFinding(
          EN.solidInclusion,
          one,
          { measured: width, limit: thicknessLimitMm(EN.solidInclusion.limits.width[level], t) },
          "inclusion width h",
        ),
        limitFinding(
          EN.solidInclusion,
          one,
          { measured: length, limit: thicknessLimitMm(EN.solidInclusion.limits.length[level], t) },
          "inclusion length l",
        ),
      ];
    case "tungsten_inclusion":
      if (t === undefined) return [missingFinding(EN.tungstenInclusion, one, ["thicknessMm"], NEEDS_T)];
      return [
        limitFinding(
          EN.tungstenInclusion,
          one,
          { measured: length, limit: thicknessLimitMm(EN.tungstenInclusion.limits[level], t) },
          "inclusion size",
        ),
      ];
    case "undercut":
      return [undercutFinding(level, t, indication)];
  }
}

function undercutFinding(level: EnLevel, t: number | undefined, indication: Indication): Finding {
  const missing = [
    ...(t === undefined ? ["thicknessMm"] : []),
    ...(indication.depthMm === undefined ? ["depthMm (of the indication)"] : []),
  ];
  if (t === undefined || indication.depthMm === undefined) {
    return missingFinding(
      EN.undercut,
      [indication],
      missing,
      "undercut is graded by depth, which a radiograph does not show; measure it (visual or profile gauge)",
    );
  }
  const limit = thicknessLimitMm(EN.undercut.limits[level], t);
  return limitFinding(EN.undercut, [indication], { measured: indication.depthMm, limit }, "undercut depth h");
}

/** Level 3's total length of lack of fusion or penetration over any reference length. */
function lackOfFusionTotal(level: EnLevel, indications: readonly Indication[]): Finding[] {
  const limits = EN.lackOfFusion.limits[level];
  if (limits === null || indications.length === 0) return [];
  const worst = worstWindow(indications, limits.windowMm, (each) => extentMm(each).length);
  const members = worst.total > limits.maxTotalMm ? worst.members : indications;
  return [
    limitFinding(
      EN.lackOfFusion,
      members,
      { measured: worst.total, limit: limits.maxTotalMm },
      `total length Σl in ${limits.windowMm} mm`,
    ),
  ];
}

/** Summed projected pore area in the worst reference length, in % of the weld's projected area there. */
function porosityArea(level: EnLevel, weld: Weld, pores: readonly Indication[]): Finding[] {
  if (pores.length === 0) return [];
  const missing = missingWeldFields(weld, ["widthMm", "lengthMm", "passes"]);
  const { widthMm, lengthMm, passes } = weld;
  if (widthMm === undefined || lengthMm === undefined || passes === undefined) {
    return [
      missingFinding(
        EN.porosityArea,
        pores,
        missing,
        "porosity in % of area needs the weld's width, length and passes",
      ),
    ];
  }
  const referenceMm = Math.min(EN.porosityArea.limits.referenceLengthMm, lengthMm);
  const worst = worstWindow(pores, referenceMm, (pore) => ellipseAreaMm2(pore));
  const percent = (100 * worst.total) / (referenceMm * widthMm);
  const limit = EN.porosityArea.limits.maxPercent[level][passes];
  const members = percent > limit ? worst.members : pores;
  return [
    limitFinding(
      EN.porosityArea,
      members,
      { measured: percent, limit, unit: "%" },
      `projected pore area over ${referenceMm} mm × ${widthMm} mm (${passes}-pass weld)`,
    ),
  ];
}

/** Pores close enough to form a cluster or a line: Table 1's limits for those are not encoded. */
function groupedPorosity(pores: readonly Indication[]): Finding[] {
  const { minPores, gapFactorOfDiameter } = EN.groupedPorosity.limits;
  const linked = (a: Indication, b: Indication) =>
    edgeDistanceMm(a.box, b.box) <= gapFactorOfDiameter * Math.max(extentMm(a).length, extentMm(b).length);
  return linkedGroups(pores, linked)
    .filter((group) => group.length >= minPores)
    .map((group) =>
      missingFinding(
        EN.groupedPorosity,
        group,
        [],
        `${group.length} pores form a group (clustered or linear porosity): limits not encoded, the inspector grades it`,
      ),
    );
}

/** All findings for a weld under EN ISO 10675-1 at one acceptance level. */
export function evaluateEnIso10675(
  level: EnLevel,
  weld: Weld,
  indications: readonly Indication[],
): Finding[] {
  const kinds = new Map(indications.map((each) => [each.id, iso6520ForLabel(each.label)?.kind]));
  const ofKind = (...wanted: ImperfectionKind[]) =>
    indications.filter((each) => wanted.includes(kinds.get(each.id) as ImperfectionKind));
  const perIndication = indications.flatMap((indication) => {
    const kind = kinds.get(indication.id);
    if (kind === undefined) return [unmappedClassFinding(indication)];
    return indicationFindings(level, weld, indication, kind);
  });
  const pores = ofKind("gas_pore");
  return [
    ...perIndication,
    ...lackOfFusionTotal(level, ofKind("lack_of_fusion", "lack_of_penetration")),
    ...porosityArea(level, weld, pores),
    ...groupedPorosity(pores),
  ];
}
