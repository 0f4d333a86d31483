/**
 * The six weld defects as they appear on film. Each painter returns stamps (local patches) in the
 * canonical frame (bead along x); sizes are chosen in model-input pixels and converted with the
 * scene's scale so every defect stays visible after letterboxing.
 */

import { classId, type DefectClass } from "./classes";
import type { Scene } from "./film";
import type { Rng } from "./prng";
import { createStamp, insidePolygon, type Plane, type Stamp, segmentDistance } from "./raster";

export interface DrawnDefect {
  classId: number;
  stamp: Stamp;
}

interface Ctx {
  plane: Plane;
  scene: Scene;
  rng: Rng;
  /** A hard case: low contrast against the film's noise. */
  faint: boolean;
}

/** Input pixels → image pixels. */
const px = (ctx: Ctx, inputPx: number): number => inputPx / ctx.scene.scale;

interface Anchor {
  x: number;
  y: number;
  /** Bead half width at x (a nominal band when the film has no bead). */
  hw: number;
  centre: number;
}

function anchorAt(ctx: Ctx, x: number): Anchor {
  const { bead, height } = ctx.scene;
  const xi = Math.min(ctx.scene.width - 1, Math.max(0, Math.round(x)));
  const centre = bead ? (bead.centre[xi] ?? height / 2) : height / 2;
  const hw = bead ? (bead.halfWidth[xi] ?? height / 4) : height * 0.3;
  return { x, y: centre, hw, centre };
}

/** A point at relative offset `d` across the bead (−1 and 1 are its toes) at a random column. */
function acrossBead(ctx: Ctx, d: number, marginInput = 6): Anchor {
  const margin = Math.max(px(ctx, marginInput), ctx.scene.width * 0.03);
  const a = anchorAt(ctx, ctx.rng.uniform(margin, ctx.scene.width - margin));
  return { ...a, y: a.centre + d * a.hw };
}

function stampAround(ctx: Ctx, cx: number, cy: number, rx: number, ry: number): Stamp {
  return createStamp({ x1: cx - rx - 2, y1: cy - ry - 2, x2: cx + rx + 2, y2: cy + ry + 2 }, ctx.plane);
}

function poreStamp(ctx: Ctx, cx: number, cy: number, radiusInput: number): Stamp {
  const { rng } = ctx;
  const rx = px(ctx, radiusInput);
  const ry = rx * rng.uniform(0.8, 1);
  const angle = rng.uniform(0, Math.PI);
  const depth = ctx.faint ? rng.uniform(0.03, 0.06) : rng.uniform(0.08, 0.3);
  const stamp = stampAround(ctx, cx, cy, rx, rx);
  const ca = Math.cos(angle);
  const sa = Math.sin(angle);
  for (let y = 0; y < stamp.height; y++) {
    for (let x = 0; x < stamp.width; x++) {
      const dx = stamp.x0 + x + 0.5 - cx;
      const dy = stamp.y0 + y + 0.5 - cy;
      const u = (dx * ca + dy * sa) / rx;
      const v = (-dx * sa + dy * ca) / ry;
      const q = u * u + v * v;
      if (q >= 1) continue;
      const i = y * stamp.width + x;
      stamp.coverage[i] = 1;
      // A spherical gas pore removes most material along the ray through its middle.
      stamp.delta[i] = -depth * Math.sqrt(1 - q);
    }
  }
  return stamp;
}

/**
 * Style B's porosity: mostly many small pores, in scattered clusters or chains along the weld (as on
 * real strips), with a softer edge than style A's spherical voids.
 */
function porosityStyleB(ctx: Ctx): Stamp[] {
  const { rng } = ctx;
  const centre = acrossBead(ctx, rng.uniform(-0.7, 0.7));
  const count = rng.int(4, 14);
  const chain = rng.chance(0.4);
  const spread = rng.uniform(15, 40);
  return Array.from({ length: count }, (_, k) => {
    const [dx, dy] = chain
      ? [(k - count / 2) * rng.uniform(6, 11), rng.uniform(-2, 2)]
      : [rng.uniform(-spread, spread), rng.uniform(-0.4, 0.4) * spread];
    const stamp = poreStamp(ctx, centre.x + dx, centre.y + dy, rng.uniform(2.5, 4));
    for (let i = 0; i < stamp.delta.length; i++) {
      const d = stamp.delta[i] ?? 0;
      stamp.delta[i] = d * Math.abs(d / 0.3) ** 0.3;
    }
    return stamp;
  });
}

function porosity(ctx: Ctx): Stamp[] {
  const { rng } = ctx;
  const onPlate = rng.chance(0.15);
  const centre = acrossBead(ctx, onPlate ? rng.sign() * rng.uniform(1.2, 1.8) : rng.uniform(-0.8, 0.8));
  if (rng.chance(0.6)) return [poreStamp(ctx, centre.x, centre.y, rng.uniform(3, 9))];
  // A cluster: several pores within a few diameters; the placer drops those that would overlap.
  const spread = px(ctx, rng.uniform(10, 25));
  const count = rng.int(3, 8);
  return Array.from({ length: count }, () => {
    const r = Math.sqrt(rng.next()) * spread;
    const t = rng.uniform(0, 2 * Math.PI);
    return poreStamp(ctx, centre.x + r * Math.cos(t), centre.y + r * Math.sin(t) * 0.6, rng.uniform(3, 5.5));
  });
}

interface Path {
  xs: number[];
  ys: number[];
}

function walk(ctx: Ctx, x: number, y: number, heading: number, lengthPx: number, wiggle: number): Path {
  const { rng } = ctx;
  const step = Math.max(1, px(ctx, 1.5));
  const xs = [x];
  const ys = [y];
  let theta = heading;
  for (let s = 0; s < lengthPx; s += step) {
    // Mean-reverting heading: cracks meander but keep their overall direction.
    theta = heading + 0.7 * (theta - heading) + wiggle * rng.normal();
    x += step * Math.cos(theta);
    y += step * Math.sin(theta);
    xs.push(x);
    ys.push(y);
  }
  return { xs, ys };
}

function drawPaths(ctx: Ctx, paths: Path[], halfWidth: number, depth: number): Stamp {
  const all = paths.flatMap((p) => p.xs.map((x, i) => [x, p.ys[i] ?? 0] as const));
  const pad = halfWidth + 2;
  const stamp = createStamp(
    {
      x1: Math.min(...all.map((p) => p[0])) - pad,
      y1: Math.min(...all.map((p) => p[1])) - pad,
      x2: Math.max(...all.map((p) => p[0])) + pad,
      y2: Math.max(...all.map((p) => p[1])) + pad,
    },
    ctx.plane,
  );
  for (const path of paths) {
    const n = path.xs.length - 1;
    for (let k = 0; k < n; k++) {
      const ax = path.xs[k] ?? 0;
      const ay = path.ys[k] ?? 0;
      const bx = path.xs[k + 1] ?? 0;
      const by = path.ys[k + 1] ?? 0;
      const x0 = Math.max(0, Math.floor(Math.min(ax, bx) - pad) - stamp.x0);
      const x1 = Math.min(stamp.width, Math.ceil(Math.max(ax, bx) + pad) - stamp.x0);
      const y0 = Math.max(0, Math.floor(Math.min(ay, by) - pad) - stamp.y0);
      const y1 = Math.min(stamp.height, Math.ceil(Math.max(ay, by) + pad) - stamp.y0);
      for (let y = y0; y < y1; y++) {
        for (let x = x0; x < x1; x++) {
          const { distance, t } = segmentDistance(stamp.x0 + x + 0.5, stamp.y0 + y + 0.5, ax, ay, bx, by);
          const along = (k + t) / n;
          // Lines thin out and fade towards their tips.
          const taper = Math.min(1, along / 0.15, (1 - along) / 0.15);
          const hw = halfWidth * (0.4 + 0.6 * taper);
          const c = Math.min(1, Math.max(0, hw + 0.5 - distance)) * Math.min(1, 0.3 + taper);
          const i = y * stamp.width + x;
          if (c <= (stamp.coverage[i] ?? 0)) continue;
          stamp.coverage[i] = c;
          stamp.delta[i] = -depth * c;
        }
      }
    }
  }
  return stamp;
}

function crack(ctx: Ctx): Stamp[] {
  const { rng } = ctx;
  const hairline = rng.chance(0.3);
  const halfWidth = (hairline ? rng.uniform(0.6, 1) : rng.uniform(1, 2.2)) / 2;
  const depth = (hairline ? rng.uniform(0.15, 0.3) : rng.uniform(0.15, 0.4)) * (ctx.faint ? 0.6 : 1);
  const transverse = ctx.scene.bead !== undefined && rng.chance(0.35);
  let main: Path;
  if (transverse) {
    const side = rng.sign();
    const a = acrossBead(ctx, side * 0.9, 20);
    const length = Math.min(2 * a.hw * rng.uniform(0.5, 0.95), px(ctx, 50));
    main = walk(ctx, a.x, a.y, -side * (Math.PI / 2) + rng.uniform(-0.35, 0.35), length, 0.25);
  } else {
    const length = px(ctx, rng.uniform(16, 70));
    const a = acrossBead(ctx, rng.uniform(-0.6, 0.6), 40);
    const heading = rng.uniform(-0.26, 0.26) + (rng.chance(0.5) ? 0 : Math.PI);
    main = walk(ctx, a.x, a.y, heading, length, 0.3);
  }
  const paths = [main];
  const branches = rng.int(0, 2);
  for (let b = 0; b < branches; b++) {
    const k = rng.int(Math.floor(main.xs.length * 0.25), Math.floor(main.xs.length * 0.75));
    const x = main.xs[k] ?? 0;
    const y = main.ys[k] ?? 0;
    const next = Math.min(main.xs.length - 1, k + 1);
    const heading = Math.atan2((main.ys[next] ?? y) - y, (main.xs[next] ?? x) - x);
    const length = main.xs.length * Math.max(1, px(ctx, 1.5)) * rng.uniform(0.2, 0.45);
    paths.push(walk(ctx, x, y, heading + rng.sign() * rng.uniform(0.45, 0.95), length, 0.3));
  }
  return [drawPaths(ctx, paths, halfWidth, depth)];
}

function irregularPolygon(ctx: Ctx, cx: number, cy: number, a: number, b: number, angle: number, n: number) {
  const { rng } = ctx;
  const jitter = Array.from({ length: n }, () => rng.uniform(0.7, 1.15));
  // Smooth the jitter around the outline so the shape is lumpy rather than spiky.
  const radii = jitter.map((j, i) => (j + (jitter[(i + 1) % n] ?? j) + (jitter[(i + n - 1) % n] ?? j)) / 3);
  const ca = Math.cos(angle);
  const sa = Math.sin(angle);
  const xs: number[] = [];
  const ys: number[] = [];
  radii.forEach((r, i) => {
    const t = (2 * Math.PI * i) / n;
    const u = a * r * Math.cos(t);
    const v = b * r * Math.sin(t);
    xs.push(cx + u * ca - v * sa);
    ys.push(cy + u * sa + v * ca);
  });
  return { xs, ys };
}

/** Fills a polygon with 3×3 supersampled coverage; `level(coverage)` gives the brightness change. */
function fillPolygon(ctx: Ctx, poly: { xs: number[]; ys: number[] }, level: (c: number) => number): Stamp {
  const stamp = createStamp(
    {
      x1: Math.min(...poly.xs) - 1,
      y1: Math.min(...poly.ys) - 1,
      x2: Math.max(...poly.xs) + 1,
      y2: Math.max(...poly.ys) + 1,
    },
    ctx.plane,
  );
  for (let y = 0; y < stamp.height; y++) {
    for (let x = 0; x < stamp.width; x++) {
      let hits = 0;
      for (let sy = 0; sy < 3; sy++) {
        for (let sx = 0; sx < 3; sx++) {
          if (insidePolygon(stamp.x0 + x + (sx + 0.5) / 3, stamp.y0 + y + (sy + 0.5) / 3, poly.xs, poly.ys))
            hits++;
        }
      }
      if (hits === 0) continue;
      const i = y * stamp.width + x;
      stamp.coverage[i] = hits / 9;
      stamp.delta[i] = level(hits / 9);
    }
  }
  return stamp;
}

function slagInclusion(ctx: Ctx): Stamp[] {
  const { rng } = ctx;
  // Slag is trapped along the side walls as often as in the middle of the bead.
  const a = acrossBead(ctx, rng.uniform(-0.75, 0.75), 30);
  const half = px(ctx, rng.uniform(5, 22));
  const across = px(ctx, rng.uniform(2.5, 6));
  const poly = irregularPolygon(ctx, a.x, a.y, half, across, rng.uniform(-0.35, 0.35), 14);
  const depth = rng.uniform(0.08, 0.25) * (ctx.faint ? 0.5 : 1);
  return [fillPolygon(ctx, poly, (c) => -depth * c * rng.uniform(0.75, 1))];
}

/** Something running along a bead edge from column x0 for `length` pixels. */
function alongEdge(
  ctx: Ctx,
  length: number,
  offset: (a: Anchor) => number,
  halfWidth: number,
  profile: (dy: number, taper: number, x: number) => { coverage: number; delta: number },
): Stamp {
  const { width, height } = ctx.scene;
  const margin = width * 0.03;
  const x0 = ctx.rng.uniform(margin, Math.max(margin, width - margin - length));
  const x1 = Math.min(width - margin, x0 + length);
  const lines: number[] = [];
  for (let x = Math.floor(x0); x < x1; x++) lines.push(offset(anchorAt(ctx, x)));
  const stamp = createStamp(
    { x1: x0, y1: Math.min(...lines) - halfWidth - 2, x2: x1, y2: Math.max(...lines) + halfWidth + 2 },
    ctx.plane,
  );
  const ramp = Math.max(1, px(ctx, 3));
  for (let x = 0; x < stamp.width; x++) {
    const gx = stamp.x0 + x;
    const line = lines[gx - Math.floor(x0)];
    if (line === undefined) continue;
    const taper = Math.min(1, (gx + 0.5 - x0) / ramp, (x1 - gx - 0.5) / ramp);
    if (taper <= 0) continue;
    for (let y = 0; y < stamp.height && stamp.y0 + y < height; y++) {
      const { coverage, delta } = profile(stamp.y0 + y + 0.5 - line, taper, x);
      if (coverage <= 0) continue;
      stamp.coverage[y * stamp.width + x] = coverage;
      stamp.delta[y * stamp.width + x] = delta;
    }
  }
  return stamp;
}

function lackOfFusion(ctx: Ctx): Stamp[] {
  const { rng } = ctx;
  const side = rng.sign();
  const fraction = rng.uniform(0.8, 0.97);
  const halfWidth = rng.uniform(0.5, 1.25);
  const depth = rng.uniform(0.12, 0.3) * (ctx.faint ? 0.55 : 1);
  // Unfused side wall: a sharp, straight, dark line following the fusion boundary.
  const stamp = alongEdge(
    ctx,
    px(ctx, rng.uniform(20, 100)),
    (a) => a.centre + side * fraction * a.hw,
    halfWidth,
    (dy, taper) => {
      const c = Math.min(1, Math.max(0, halfWidth + 0.5 - Math.abs(dy))) * taper;
      return { coverage: c, delta: -depth * c };
    },
  );
  return [stamp];
}

function undercut(ctx: Ctx): Stamp[] {
  const { rng } = ctx;
  const side = rng.sign();
  const groove = px(ctx, rng.uniform(1.5, 3.5));
  const shift = groove * rng.uniform(0, 0.5);
  const depth = rng.uniform(0.05, 0.15) * (ctx.faint ? 0.6 : 1);
  const length = px(ctx, rng.uniform(15, 80));
  const wobble = Array.from({ length: Math.ceil(length) + 2 }, () => 0);
  const knots = Math.max(2, Math.ceil(length / px(ctx, 6)));
  const values = Array.from({ length: knots + 1 }, () => rng.uniform(0.6, 1));
  wobble.forEach((_, i) => {
    const f = (i / wobble.length) * knots;
    const k = Math.floor(f);
    wobble[i] = (values[k] ?? 1) + ((values[k + 1] ?? 1) - (values[k] ?? 1)) * (f - k);
  });
  // A groove melted into the plate at the toe: soft-sided, uneven in depth along its length.
  const stamp = alongEdge(
    ctx,
    length,
    (a) => a.centre + side * (a.hw + shift),
    groove,
    (dy, taper, x) => {
      const q = dy / groove;
      if (Math.abs(q) >= 1) return { coverage: 0, delta: 0 };
      return { coverage: taper, delta: -depth * taper * (wobble[x] ?? 1) * (1 - q * q) };
    },
  );
  return [stamp];
}

function tungstenInclusion(ctx: Ctx): Stamp[] {
  const { rng } = ctx;
  const a = acrossBead(ctx, rng.uniform(-0.8, 0.8), 20);
  const count = rng.chance(0.25) ? rng.int(2, 3) : 1;
  return Array.from({ length: count }, (_, k) => {
    const r = px(ctx, rng.uniform(2.5, 5));
    const cx = a.x + (k === 0 ? 0 : rng.uniform(-1, 1) * px(ctx, 14));
    const cy = a.y + (k === 0 ? 0 : rng.uniform(-1, 1) * px(ctx, 8));
    const poly = irregularPolygon(ctx, cx, cy, r, r * rng.uniform(0.7, 1), rng.uniform(0, Math.PI), 9);
    // Tungsten is far denser than steel: a sharp, bright fleck.
    const level = ctx.faint ? rng.uniform(0.08, 0.14) : rng.uniform(0.15, 0.45);
    return fillPolygon(ctx, poly, (c) => level * c);
  });
}

const PAINTERS: Record<DefectClass, (ctx: Ctx) => Stamp[]> = {
  porosity,
  crack,
  slag_inclusion: slagInclusion,
  lack_of_fusion: lackOfFusion,
  undercut,
  tungsten_inclusion: tungstenInclusion,
};

/** Classes that need a bead to exist (they live on its edges). */
const NEEDS_BEAD: ReadonlySet<DefectClass> = new Set(["lack_of_fusion", "undercut"]);

export function paintDefect(
  name: DefectClass,
  plane: Plane,
  scene: Scene,
  rng: Rng,
  faint: boolean,
): DrawnDefect[] {
  if (NEEDS_BEAD.has(name) && !scene.bead) return [];
  const ctx = { plane, scene, rng, faint };
  const stamps = scene.styleB && name === "porosity" ? porosityStyleB(ctx) : PAINTERS[name](ctx);
  const gain = scene.styleB?.defectGain;
  if (gain !== undefined) {
    for (const stamp of stamps) {
      for (let i = 0; i < stamp.delta.length; i++) stamp.delta[i] = (stamp.delta[i] ?? 0) * gain;
    }
  }
  return stamps.map((stamp) => ({ classId: classId(name), stamp }));
}
