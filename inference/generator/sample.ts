/** One synthetic radiograph and its labels, fully determined by a seed. */

import { DEFECT_CLASSES, MIN_BOX_INPUT_PX } from "./classes";
import { paintDefect } from "./defects";
import {
  develop,
  developStyleB,
  type FilmStyle,
  paintBase,
  planLargeScene,
  planScene,
  planStyleBScene,
} from "./film";
import { deriveSeed, Rng } from "./prng";
import { addStamp, type Box, boxesOverlap, coveredBox, createPlane, type Plane } from "./raster";

export interface Label {
  classId: number;
  /** In image pixels, pixel-edge coordinates. */
  box: Box;
}

export interface Sample {
  /** Brightness in [0, 1], row-major. */
  image: Plane;
  labels: Label[];
  /** Hard film (noisy, blurry, low contrast). */
  hard: boolean;
}

export interface RenderOptions {
  /** Model input size the defect sizes are planned for. */
  imgsz: number;
  /** False renders the identical film with no defects (tests diff the two). */
  drawDefects?: boolean;
  /** A long strip at the model's resolution (`planLargeScene`) with defects all along it. */
  large?: boolean;
  /** Film look (default `a`); `b` is a long strip in another style (`planStyleBScene`), ignoring `large`. */
  style?: FilmStyle;
}

const NO_DEFECT_RATE = 0.12;
/** Style B's class draw: porosity three times as likely as each other class. */
const STYLE_B_CLASSES = ["porosity", "porosity", ...DEFECT_CLASSES] as const;

/** Grows a box symmetrically to at least `min` on each side, staying inside the image. */
function ensureMinSize(box: Box, min: number, width: number, height: number): Box {
  const grow = (lo: number, hi: number, limit: number): [number, number] => {
    const need = min - (hi - lo);
    if (need <= 0) return [lo, hi];
    let a = lo - need / 2;
    let b = hi + need / 2;
    if (a < 0) [a, b] = [0, Math.min(limit, b - a)];
    if (b > limit) [a, b] = [Math.max(0, a - (b - limit)), limit];
    return [a, b];
  };
  const [x1, x2] = grow(box.x1, box.x2, width);
  const [y1, y2] = grow(box.y1, box.y2, height);
  return { x1, y1, x2, y2 };
}

export function renderSample(seed: number, options: RenderOptions): Sample {
  // Independent streams: turning defects off must not change a single background or grain value.
  const sceneRng = new Rng(deriveSeed(seed, "scene"));
  const styleB = options.style === "b";
  const scene = styleB
    ? planStyleBScene(sceneRng)
    : options.large
      ? planLargeScene(sceneRng)
      : planScene(sceneRng, options.imgsz);
  const image = createPlane(scene.width, scene.height);
  const reserved = paintBase(image, scene, new Rng(deriveSeed(seed, "base")));

  const rng = new Rng(deriveSeed(seed, "defects"));
  const labels: Label[] = [];
  const occupied: Box[] = [...reserved];
  const margin = 2 / scene.scale;
  // A strip holds as many defect events as films of its area would, about 0.4–0.9 per input area.
  const events =
    options.large || styleB
      ? Math.round(((scene.width * scene.height) / options.imgsz ** 2) * rng.uniform(0.4, 0.9))
      : rng.chance(NO_DEFECT_RATE)
        ? 0
        : rng.pick([1, 1, 2, 2, 3, 3, 4, 5]);
  for (let e = 0; e < events; e++) {
    for (let attempt = 0; attempt < 15; attempt++) {
      const name = rng.pick(styleB ? STYLE_B_CLASSES : DEFECT_CLASSES);
      const drawn = paintDefect(name, image, scene, rng, scene.hard ? rng.chance(0.4) : rng.chance(0.1));
      let placed = false;
      for (const { classId, stamp } of drawn) {
        const covered = coveredBox(stamp);
        if (!covered) continue;
        const box = ensureMinSize(covered, MIN_BOX_INPUT_PX / scene.scale, scene.width, scene.height);
        if (occupied.some((o) => boxesOverlap(o, box, margin))) continue;
        occupied.push(box);
        labels.push({ classId, box });
        if (options.drawDefects !== false) addStamp(image, stamp);
        placed = true;
      }
      if (placed) break;
    }
  }

  (styleB ? developStyleB : develop)(image, scene, new Rng(deriveSeed(seed, "develop")));
  if (!scene.transpose) return { image, labels, hard: scene.hard };
  return {
    image: transpose(image),
    labels: labels.map(({ classId, box }) => ({
      classId,
      box: { x1: box.y1, y1: box.x1, x2: box.y2, y2: box.x2 },
    })),
    hard: scene.hard,
  };
}

function transpose(plane: Plane): Plane {
  const out = createPlane(plane.height, plane.width);
  for (let y = 0; y < plane.height; y++) {
    for (let x = 0; x < plane.width; x++)
      out.data[x * plane.height + y] = plane.data[y * plane.width + x] ?? 0;
  }
  return out;
}
