/** Float greyscale planes and the few raster operations the film simulation needs. */

import type { Rng } from "./prng";

export interface Plane {
  width: number;
  height: number;
  data: Float32Array;
}

export function createPlane(width: number, height: number, fill = 0): Plane {
  const data = new Float32Array(width * height);
  if (fill !== 0) data.fill(fill);
  return { width, height, data };
}

function gaussianKernel(sigma: number): Float32Array {
  const radius = Math.max(1, Math.ceil(sigma * 3));
  const k = new Float32Array(2 * radius + 1);
  let sum = 0;
  for (let i = -radius; i <= radius; i++) {
    const v = Math.exp((-i * i) / (2 * sigma * sigma));
    k[i + radius] = v;
    sum += v;
  }
  for (let i = 0; i < k.length; i++) k[i] = (k[i] ?? 0) / sum;
  return k;
}

/** Separable Gaussian blur with edge clamping, in place. */
export function gaussianBlur(plane: Plane, sigma: number): void {
  if (sigma < 0.2) return;
  const { width, height, data } = plane;
  const k = gaussianKernel(sigma);
  const r = (k.length - 1) >> 1;
  const line = new Float32Array(Math.max(width, height) + 2 * r);
  for (let y = 0; y < height; y++) {
    const row = y * width;
    for (let i = -r; i < width + r; i++) line[i + r] = data[row + Math.min(width - 1, Math.max(0, i))] ?? 0;
    for (let x = 0; x < width; x++) {
      let acc = 0;
      for (let j = 0; j < k.length; j++) acc += (k[j] ?? 0) * (line[x + j] ?? 0);
      data[row + x] = acc;
    }
  }
  for (let x = 0; x < width; x++) {
    for (let i = -r; i < height + r; i++)
      line[i + r] = data[Math.min(height - 1, Math.max(0, i)) * width + x] ?? 0;
    for (let y = 0; y < height; y++) {
      let acc = 0;
      for (let j = 0; j < k.length; j++) acc += (k[j] ?? 0) * (line[y + j] ?? 0);
      data[y * width + x] = acc;
    }
  }
}

const smooth = (t: number): number => t * t * (3 - 2 * t);

/**
 * Smooth value noise in [-1, 1]: random values on a lattice of `cell` pixels, smoothstep-interpolated.
 * Summing octaves gives the mottled plate density and exposure unevenness of real film.
 */
export function valueNoise(width: number, height: number, cell: number, rng: Rng, octaves = 1): Plane {
  const out = createPlane(width, height);
  let amplitude = 1;
  let norm = 0;
  let size = Math.max(2, cell);
  for (let o = 0; o < octaves; o++) {
    const gw = Math.ceil(width / size) + 2;
    const gh = Math.ceil(height / size) + 2;
    const lattice = new Float32Array(gw * gh);
    for (let i = 0; i < lattice.length; i++) lattice[i] = rng.uniform(-1, 1);
    // Column lattice indices and weights are the same on every row; compute them once.
    const ixs = new Int32Array(width);
    const txs = new Float32Array(width);
    for (let x = 0; x < width; x++) {
      const fx = x / size;
      ixs[x] = Math.floor(fx);
      txs[x] = smooth(fx - Math.floor(fx));
    }
    for (let y = 0; y < height; y++) {
      const fy = y / size;
      const iy = Math.floor(fy);
      const ty = smooth(fy - iy);
      const top = iy * gw;
      const bottom = top + gw;
      const row = y * width;
      for (let x = 0; x < width; x++) {
        const ix = ixs[x] ?? 0;
        const tx = txs[x] ?? 0;
        const a = (lattice[top + ix] ?? 0) + ((lattice[top + ix + 1] ?? 0) - (lattice[top + ix] ?? 0)) * tx;
        const b =
          (lattice[bottom + ix] ?? 0) + ((lattice[bottom + ix + 1] ?? 0) - (lattice[bottom + ix] ?? 0)) * tx;
        out.data[row + x] = (out.data[row + x] ?? 0) + amplitude * (a + (b - a) * ty);
      }
    }
    norm += amplitude;
    amplitude *= 0.5;
    size = Math.max(2, size / 2);
  }
  for (let i = 0; i < out.data.length; i++) out.data[i] = (out.data[i] ?? 0) / norm;
  return out;
}

/** 1-D smooth noise in [-1, 1] of the given length, for slowly wandering lines such as the bead edge. */
export function noise1d(length: number, cell: number, rng: Rng): Float32Array {
  const n = Math.ceil(length / cell) + 2;
  const lattice = Array.from({ length: n }, () => rng.uniform(-1, 1));
  const out = new Float32Array(length);
  for (let x = 0; x < length; x++) {
    const f = x / cell;
    const i = Math.floor(f);
    const t = smooth(f - i);
    const a = lattice[i] ?? 0;
    const b = lattice[i + 1] ?? 0;
    out[x] = a + (b - a) * t;
  }
  return out;
}

/** Axis-aligned box in pixel-edge coordinates: pixel (x, y) spans [x, x+1) × [y, y+1). */
export interface Box {
  x1: number;
  y1: number;
  x2: number;
  y2: number;
}

/**
 * A defect drawn on a local patch: `delta` is added to the film's brightness, `coverage` (0..1) says
 * how much of each pixel belongs to the defect. Labels are derived from coverage, never from the
 * parameters the shape was drawn from, so a label always matches what is on the film.
 */
export interface Stamp {
  x0: number;
  y0: number;
  width: number;
  height: number;
  coverage: Float32Array;
  delta: Float32Array;
}

export function createStamp(box: Box, plane: Plane): Stamp {
  const x0 = Math.max(0, Math.floor(box.x1));
  const y0 = Math.max(0, Math.floor(box.y1));
  const x1 = Math.min(plane.width, Math.ceil(box.x2));
  const y1 = Math.min(plane.height, Math.ceil(box.y2));
  const width = Math.max(0, x1 - x0);
  const height = Math.max(0, y1 - y0);
  return {
    x0,
    y0,
    width,
    height,
    coverage: new Float32Array(width * height),
    delta: new Float32Array(width * height),
  };
}

/** Bounding box of the pixels at least half covered, or undefined when nothing is. */
export function coveredBox(stamp: Stamp): Box | undefined {
  let x1 = Number.POSITIVE_INFINITY;
  let y1 = Number.POSITIVE_INFINITY;
  let x2 = Number.NEGATIVE_INFINITY;
  let y2 = Number.NEGATIVE_INFINITY;
  for (let y = 0; y < stamp.height; y++) {
    for (let x = 0; x < stamp.width; x++) {
      if ((stamp.coverage[y * stamp.width + x] ?? 0) < 0.5) continue;
      x1 = Math.min(x1, x);
      x2 = Math.max(x2, x + 1);
      y1 = Math.min(y1, y);
      y2 = Math.max(y2, y + 1);
    }
  }
  if (x2 < x1) return undefined;
  return { x1: x1 + stamp.x0, y1: y1 + stamp.y0, x2: x2 + stamp.x0, y2: y2 + stamp.y0 };
}

export function addStamp(plane: Plane, stamp: Stamp): void {
  for (let y = 0; y < stamp.height; y++) {
    const row = (y + stamp.y0) * plane.width + stamp.x0;
    for (let x = 0; x < stamp.width; x++) {
      const i = row + x;
      plane.data[i] = (plane.data[i] ?? 0) + (stamp.delta[y * stamp.width + x] ?? 0);
    }
  }
}

/** Point-in-polygon by ray crossing. */
export function insidePolygon(px: number, py: number, xs: ArrayLike<number>, ys: ArrayLike<number>): boolean {
  let inside = false;
  const n = xs.length;
  for (let i = 0, j = n - 1; i < n; j = i++) {
    const xi = xs[i] ?? 0;
    const yi = ys[i] ?? 0;
    const xj = xs[j] ?? 0;
    const yj = ys[j] ?? 0;
    if (yi > py !== yj > py && px < ((xj - xi) * (py - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

/** Distance from (px, py) to the segment (ax, ay)–(bx, by), and where along it (0..1) the foot lies. */
export function segmentDistance(
  px: number,
  py: number,
  ax: number,
  ay: number,
  bx: number,
  by: number,
): { distance: number; t: number } {
  const dx = bx - ax;
  const dy = by - ay;
  const len2 = dx * dx + dy * dy;
  const t = len2 === 0 ? 0 : Math.min(1, Math.max(0, ((px - ax) * dx + (py - ay) * dy) / len2));
  const cx = ax + t * dx - px;
  const cy = ay + t * dy - py;
  return { distance: Math.sqrt(cx * cx + cy * cy), t };
}

export function boxesOverlap(a: Box, b: Box, margin: number): boolean {
  return a.x1 - margin < b.x2 && b.x1 - margin < a.x2 && a.y1 - margin < b.y2 && b.y1 - margin < a.y2;
}
