/**
 * Okabe–Ito colours: distinguishable with the common colour-vision deficiencies and legible on
 * grey films. Chosen by class id, so a class keeps its colour across images.
 */
const PALETTE = ["#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7", "#FFFFFF"];

export function classColour(classId: number): string {
  return PALETTE[classId % PALETTE.length] as string;
}

/** The classes present, by id, with their labels, for the toggles. */
export function classesOf(
  detections: ReadonlyArray<{ classId: number; label: string }>,
): Array<{ classId: number; label: string; count: number }> {
  const byId = new Map<number, { classId: number; label: string; count: number }>();
  for (const detection of detections) {
    const entry = byId.get(detection.classId) ?? {
      classId: detection.classId,
      label: detection.label,
      count: 0,
    };
    entry.count++;
    byId.set(detection.classId, entry);
  }
  return [...byId.values()].sort((a, b) => a.classId - b.classId);
}

/** What the viewer draws: at or above the confidence threshold, of a class that is switched on. */
export function isShown(
  detection: { score: number; classId: number },
  minScore: number,
  hidden: ReadonlySet<number>,
) {
  return detection.score >= minScore && !hidden.has(detection.classId);
}
