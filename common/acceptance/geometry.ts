import type { Indication, WeldBox } from "./schema";

/**
 * An indication's size as the standards measure it on a film: its projected extent. `length` (a
 * pore's diameter d, an inclusion's length l) and `width` (an inclusion's width h) are the
 * indication's own, measured on the film, where known; else the larger and smaller box sides,
 * which understate a diagonal indication's length. `along` and `across` are the box's sides.
 */
export function extentMm(indication: Pick<Indication, "box" | "lengthMm" | "widthMm">): {
  length: number;
  width: number;
  along: number;
  across: number;
} {
  const { box } = indication;
  const along = box.x2 - box.x1;
  const across = box.y2 - box.y1;
  return {
    length: indication.lengthMm ?? Math.max(along, across),
    width: indication.widthMm ?? Math.min(along, across),
    along,
    across,
  };
}

/** Projected area of a round indication: the ellipse of its length and width (a pore is round). */
export function ellipseAreaMm2(indication: Pick<Indication, "box" | "lengthMm" | "widthMm">): number {
  const { length, width } = extentMm(indication);
  return (Math.PI / 4) * length * width;
}

/** Edge-to-edge distance between two boxes (0 when they touch or overlap). */
export function edgeDistanceMm(a: WeldBox, b: WeldBox): number {
  const dx = Math.max(0, a.x1 - b.x2, b.x1 - a.x2);
  const dy = Math.max(0, a.y1 - b.y2, b.y1 - a.y2);
  return Math.hypot(dx, dy);
}

/** Gap along the weld between two boxes (0 when their extents along the weld overlap). */
export function gapAlongMm(a: WeldBox, b: WeldBox): number {
  return Math.max(0, a.x1 - b.x2, b.x1 - a.x2);
}

export function centreAlong(box: WeldBox): number {
  return (box.x1 + box.x2) / 2;
}

export function byPositionAlong(a: Indication, b: Indication): number {
  return a.box.x1 - b.box.x1 || a.box.x2 - b.box.x2;
}

/**
 * The largest sum of `value` over indications whose centres lie within any window of `windowMm`
 * along the weld, and those indications. Windows start at each indication's centre, which covers
 * every distinct set a sliding window can hold.
 */
export function worstWindow(
  indications: readonly Indication[],
  windowMm: number,
  value: (indication: Indication) => number,
): { total: number; members: Indication[] } {
  const sorted = [...indications].sort((a, b) => centreAlong(a.box) - centreAlong(b.box));
  let best: { total: number; members: Indication[] } = { total: 0, members: [] };
  for (const [i, first] of sorted.entries()) {
    const start = centreAlong(first.box);
    const members = sorted.slice(i).filter((other) => centreAlong(other.box) <= start + windowMm);
    const total = members.reduce((sum, member) => sum + value(member), 0);
    if (total > best.total) best = { total, members };
  }
  return best;
}

/**
 * Groups of indications linked one to the next when `linked(a, b)` holds, in order along the weld
 * (single linkage: a chain of close neighbours is one group).
 */
export function linkedGroups(
  indications: readonly Indication[],
  linked: (a: Indication, b: Indication) => boolean,
): Indication[][] {
  const groups: Indication[][] = [];
  for (const indication of [...indications].sort(byPositionAlong)) {
    const joined = groups.filter((group) => group.some((member) => linked(member, indication)));
    const merged = [...joined.flat(), indication];
    for (const group of joined) groups.splice(groups.indexOf(group), 1);
    groups.push(merged);
  }
  return groups.map((group) => group.sort(byPositionAlong));
}
