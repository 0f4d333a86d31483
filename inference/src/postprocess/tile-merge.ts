import type { Candidate } from "../model/decoders/types";
import { area, type Box, iou } from "./boxes";

/** Which sides of a box were cut by a tile border inside the image (the object may go on there). */
export interface Cut {
  left: boolean;
  top: boolean;
  right: boolean;
  bottom: boolean;
}

/** A candidate in image pixels, with the tile it came from (−1: the whole-image pass). */
export interface TiledCandidate extends Candidate {
  tile: number;
  cut: Cut;
}

export interface TileMergeOptions {
  /** Same-class boxes from different tiles overlapping more than this are one object. */
  iou: number;
  /** Or when the intersection covers this much of the smaller box (a cut copy inside a whole one). */
  ios: number;
  /** Boxes meeting at a cut side are one object when their extents across the cut overlap this much. */
  seamOverlap: number;
  /** Merge across classes too. */
  agnostic: boolean;
}

export const DEFAULT_TILE_MERGE: Omit<TileMergeOptions, "iou" | "agnostic"> = { ios: 0.6, seamOverlap: 0.5 };

/** Intersection over the smaller box. */
export function ios(a: Box, b: Box): number {
  const w = Math.min(a.x2, b.x2) - Math.max(a.x1, b.x1);
  const h = Math.min(a.y2, b.y2) - Math.max(a.y1, b.y1);
  if (w <= 0 || h <= 0) return 0;
  const smaller = Math.min(area(a), area(b));
  return smaller > 0 ? (w * h) / smaller : 0;
}

/** 1-D IoU of two intervals. */
function overlap1d(a1: number, a2: number, b1: number, b2: number): number {
  const inter = Math.min(a2, b2) - Math.max(a1, b1);
  if (inter <= 0) return 0;
  return inter / (Math.max(a2, b2) - Math.min(a1, b1));
}

/**
 * Whether `b` continues `a` across a cut side: `a` is cut on a side facing `b` (or `b` facing `a`),
 * they touch or overlap along that axis, and their extents across it line up.
 */
function continues(a: TiledCandidate, b: TiledCandidate, seamOverlap: number): boolean {
  const touchX = Math.min(a.x2, b.x2) - Math.max(a.x1, b.x1) >= -1;
  const touchY = Math.min(a.y2, b.y2) - Math.max(a.y1, b.y1) >= -1;
  if (!touchX || !touchY) return false;
  const horizontal =
    ((a.cut.right && b.x2 > a.x2) ||
      (a.cut.left && b.x1 < a.x1) ||
      (b.cut.right && a.x2 > b.x2) ||
      (b.cut.left && a.x1 < b.x1)) &&
    overlap1d(a.y1, a.y2, b.y1, b.y2) >= seamOverlap;
  const vertical =
    ((a.cut.bottom && b.y2 > a.y2) ||
      (a.cut.top && b.y1 < a.y1) ||
      (b.cut.bottom && a.y2 > b.y2) ||
      (b.cut.top && a.y1 < b.y1)) &&
    overlap1d(a.x1, a.x2, b.x1, b.x2) >= seamOverlap;
  return horizontal || vertical;
}

const isCut = (cut: Cut) => cut.left || cut.top || cut.right || cut.bottom;

interface Group {
  box: TiledCandidate;
  tiles: Set<number>;
  /** Position among the groups kept in the current pass (earlier: higher score). */
  order: number;
}

function absorb(into: Group, other: Group): void {
  for (const tile of other.tiles) into.tiles.add(tile);
  const g = into.box;
  const c = other.box;
  if (!isCut(g.cut) && !isCut(c.cut)) return;
  // The union is cut only where its edge still comes from a cut box.
  const x1 = Math.min(g.x1, c.x1);
  const y1 = Math.min(g.y1, c.y1);
  const x2 = Math.max(g.x2, c.x2);
  const y2 = Math.max(g.y2, c.y2);
  into.box = {
    ...g,
    x1,
    y1,
    x2,
    y2,
    cut: {
      left: (g.x1 === x1 && g.cut.left) || (c.x1 === x1 && c.cut.left),
      top: (g.y1 === y1 && g.cut.top) || (c.y1 === y1 && c.cut.top),
      right: (g.x2 === x2 && g.cut.right) || (c.x2 === x2 && c.cut.right),
      bottom: (g.y2 === y2 && g.cut.bottom) || (c.y2 === y2 && c.cut.bottom),
    },
  };
}

/**
 * Merges the boxes of overlapping tiles into one set, by descending score: a box joins the first
 * group of its class that it duplicates (IoU, or intersection over the smaller box) or continues
 * across a cut tile border, provided the group holds no box from its own tile (two boxes of one tile
 * are two objects, as that tile's NMS already decided). A group grows to the union of its boxes
 * when one of them was cut, else keeps its best box. Passes repeat until nothing merges, so an
 * object cut into several pieces comes back whole whatever order its pieces scored in.
 */
export function mergeTiles(
  candidates: readonly TiledCandidate[],
  options: TileMergeOptions,
): TiledCandidate[] {
  let groups: Group[] = [...candidates]
    .sort((a, b) => b.score - a.score)
    .map((c) => ({ box: { ...c, cut: { ...c.cut } }, tiles: new Set([c.tile]), order: 0 }));
  let merged = true;
  while (merged) {
    merged = false;
    const kept: Group[] = [];
    // Every merge rule needs the boxes to touch, so only groups sharing a grid cell are compared.
    const grid = new SpatialGrid<Group>(GRID_CELL);
    for (const group of groups) {
      const c = group.box;
      let into: Group | undefined;
      let order = Number.POSITIVE_INFINITY;
      for (const k of grid.near(c)) {
        const position = k.order;
        if (position >= order) continue;
        if (
          (options.agnostic || k.box.classId === c.classId) &&
          ![...group.tiles].some((tile) => k.tiles.has(tile)) &&
          (iou(k.box, c) > options.iou ||
            ios(k.box, c) >= options.ios ||
            continues(k.box, c, options.seamOverlap))
        ) {
          into = k;
          order = position;
        }
      }
      if (into) {
        absorb(into, group);
        grid.add(into.box, into);
        merged = true;
      } else {
        group.order = kept.length;
        kept.push(group);
        grid.add(c, group);
      }
    }
    groups = kept;
  }
  return groups.map((g) => g.box);
}

/** How the whole-image pass and the tiles are joined (`mergeWholeImage`). */
export interface WholeImageMergeOptions {
  /** A box lying this much inside a larger box of the other pass (intersection over its own area) is a piece of it. */
  ios: number;
  /** The larger box takes the piece only when it scores at least this fraction of the piece's score. */
  scoreRatio: number;
  /** Boxes overlapping more than this are duplicates, not pieces: NMS keeps the better one. */
  iou: number;
  /** Across classes too. */
  agnostic: boolean;
}

export const DEFAULT_WHOLE_IMAGE_MERGE: Omit<WholeImageMergeOptions, "iou" | "agnostic"> = {
  ios: 0.6,
  scoreRatio: 0.5,
};

interface Pass {
  box: Candidate;
  area: number;
  whole: boolean;
  dropped: boolean;
}

/**
 * Joins the whole-image pass to the tiles' boxes (already merged across tiles), as SAHI's NMS over
 * the union with intersection-over-smaller matching, between the two passes: from the largest box
 * down, a box of the other pass and the same class that lies inside it (IoS ≥ `ios`) without
 * duplicating it (IoU ≤ `iou`) is a piece of the same object and is dropped, provided the larger
 * box scores at least `scoreRatio` of the piece (a faint large box does not swallow a confident
 * small one). The larger box keeps the best score of its pieces. So a large object the whole-image
 * pass saw whole suppresses the tile fragments it contains, an object the tiles joined across
 * their seams suppresses a partial whole-image box, and small objects only the tiles found, or
 * inside a box of another class, are kept.
 */
export function mergeWholeImage(
  tiles: readonly Candidate[],
  whole: readonly Candidate[],
  options: WholeImageMergeOptions,
): Candidate[] {
  if (whole.length === 0) return [...tiles];
  const entry = (box: Candidate, isWhole: boolean): Pass => ({
    box: { ...box },
    area: area(box),
    whole: isWhole,
    dropped: false,
  });
  const tileEntries = tiles.map((box) => entry(box, false));
  const wholeEntries = whole.map((box) => entry(box, true));
  const largestFirst = [...tileEntries, ...wholeEntries].sort((a, b) => b.area - a.area);
  for (const large of largestFirst) {
    if (large.dropped) continue;
    // The ratio holds against the box's own score, not one it took from a piece.
    const own = large.box.score;
    for (const piece of large.whole ? tileEntries : wholeEntries) {
      if (piece.dropped || piece.area >= large.area) continue;
      if (!options.agnostic && piece.box.classId !== large.box.classId) continue;
      if (own < options.scoreRatio * piece.box.score) continue;
      if (ios(piece.box, large.box) < options.ios || iou(piece.box, large.box) > options.iou) continue;
      piece.dropped = true;
      large.box.score = Math.max(large.box.score, piece.box.score);
    }
  }
  return [...tileEntries, ...wholeEntries].filter((e) => !e.dropped).map((e) => e.box);
}

/** Image pixels per grid cell: about a tile, so a box spans few cells. */
const GRID_CELL = 256;

/** Items by the grid cells their box (grown by a pixel) covers. */
class SpatialGrid<T> {
  private readonly cells = new Map<string, Set<T>>();
  constructor(private readonly cell: number) {}

  private keys(box: Box): string[] {
    const keys: string[] = [];
    const [cx1, cy1] = [Math.floor((box.x1 - 1) / this.cell), Math.floor((box.y1 - 1) / this.cell)];
    const [cx2, cy2] = [Math.floor((box.x2 + 1) / this.cell), Math.floor((box.y2 + 1) / this.cell)];
    for (let y = cy1; y <= cy2; y++) for (let x = cx1; x <= cx2; x++) keys.push(`${x},${y}`);
    return keys;
  }

  add(box: Box, item: T): void {
    for (const key of this.keys(box)) {
      const set = this.cells.get(key) ?? new Set<T>();
      this.cells.set(key, set);
      set.add(item);
    }
  }

  near(box: Box): Set<T> {
    const found = new Set<T>();
    for (const key of this.keys(box)) for (const item of this.cells.get(key) ?? []) found.add(item);
    return found;
  }
}
