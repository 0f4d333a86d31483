import type { Indication } from "@common/acceptance";

/** An indication whose box starts at (x, y) mm and spans `along` × `across` mm in weld coordinates. */
export function indication(
  id: string,
  label: string,
  at: { x: number; y: number },
  size: { along: number; across: number },
  depthMm?: number,
): Indication {
  const box = { x1: at.x, y1: at.y, x2: at.x + size.along, y2: at.y + size.across };
  return depthMm === undefined ? { id, label, box } : { id, label, box, depthMm };
}

/** A round pore of diameter d at x along the weld. */
export function pore(id: string, x: number, d: number, y = 5): Indication {
  return indication(id, "porosity", { x, y }, { along: d, across: d });
}
