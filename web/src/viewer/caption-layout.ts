/** How boxes are captioned (class and score): always, for the box under the pointer, or never. */
export type CaptionMode = "on" | "hover" | "off";

export const CAPTION_MODES: ReadonlyArray<{ mode: CaptionMode; label: string }> = [
  { mode: "on", label: "On" },
  { mode: "hover", label: "On hover" },
  { mode: "off", label: "Off" },
];

/** A rectangle on the canvas, CSS pixels. */
export type Rect = { x: number; y: number; width: number; height: number };

export const CAPTION_HEIGHT = 18;

const overlaps = (a: Rect, b: Rect) =>
  a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;

/**
 * Places captions in priority order (the caller puts the selected box first): above its box, else
 * below it, else (a tall box) inside its top; a caption that would cover one already placed is left out rather than stacked, so a
 * dense strip shows a readable subset and its film, never a pile of labels. Returns one rect or
 * null per request.
 */
export function placeCaptions(
  requests: ReadonlyArray<{ box: Rect; width: number }>,
  canvas: { width: number; height: number },
): Array<Rect | null> {
  const placed: Rect[] = [];
  return requests.map(({ box, width }) => {
    const above = { x: box.x, y: box.y - CAPTION_HEIGHT, width, height: CAPTION_HEIGHT };
    const below = { x: box.x, y: box.y + box.height, width, height: CAPTION_HEIGHT };
    // A box too tall for either (it spans the canvas) keeps its caption inside its top edge; a
    // small box never does, as the caption would hide what it marks.
    const inside = { x: box.x, y: Math.max(0, box.y), width, height: CAPTION_HEIGHT };
    const candidates = box.height >= 3 * CAPTION_HEIGHT ? [above, below, inside] : [above, below];
    const fits = (rect: Rect) =>
      rect.y >= 0 && rect.y + rect.height <= canvas.height && !placed.some((other) => overlaps(rect, other));
    const chosen = candidates.find(fits) ?? null;
    if (chosen) placed.push(chosen);
    return chosen;
  });
}
