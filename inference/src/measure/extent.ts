import type { Box } from "@common/contracts/detect-result";
import type { Extent } from "@common/measurements";

/** One grey channel of the film at its own size: the pixels an indication is measured on. */
export interface GreyImage {
  data: ArrayLike<number>;
  width: number;
  height: number;
}

/**
 * How an indication is told from its surroundings. Its pixels are those deviating from the local
 * background, on the side (darker or brighter) where the box deviates most, by at least half its
 * peak deviation (its edge at half maximum, which a blurred edge's true position is) and by at
 * least `minSigmas` times the background's noise. A peak under `minContrastSigmas` noise widths is
 * no indication to measure: the box stands in.
 */
export const EXTENT_SETTINGS = {
  /** Background ring around the box: this fraction of the box's shorter side, at least `minRingPx`. */
  ringFraction: 0.5,
  minRingPx: 4,
  minSigmas: 2.5,
  minContrastSigmas: 4,
  /** Noise never taken as below this many grey levels (a flat synthetic background has none). */
  minNoise: 1,
  /** A fragment (a broken crack) joins the indication when at least this fraction of its largest part. */
  fragmentFraction: 0.15,
  /**
   * Largest box measured by default, in pixels (a 500 × 500 box takes about a quarter of a second;
   * the service's `MEASURE_MAX_BOX_PIXELS`); a larger one keeps its box's sides, flagged, so a few
   * huge boxes cannot hold a job up for seconds.
   */
  maxBoxPixels: 250_000,
};

type Point = { x: number; y: number };

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length ? (sorted[Math.floor(sorted.length / 2)] as number) : 0;
};

/** A high percentile of values, robust to the odd hot pixel that a maximum would take. */
const upper = (values: Float64Array, fraction: number): number => {
  const sorted = Float64Array.from(values).sort();
  return sorted.length
    ? (sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))] as number)
    : 0;
};

type PixelBox = { x1: number; y1: number; x2: number; y2: number };

/** The box in whole pixels, clipped to the image. */
function pixelBox(box: Box, image: GreyImage): PixelBox {
  const x1 = Math.max(0, Math.floor(box.x1));
  const y1 = Math.max(0, Math.floor(box.y1));
  const x2 = Math.min(image.width, Math.ceil(box.x2));
  const y2 = Math.min(image.height, Math.ceil(box.y2));
  return { x1, y1, x2, y2 };
}

/** A ring as wide as half the box's shorter side: close enough for a plane to fit a curved weld profile. */
const ringPx = (b: PixelBox) =>
  Math.max(
    EXTENT_SETTINGS.minRingPx,
    Math.round(EXTENT_SETTINGS.ringFraction * Math.min(b.x2 - b.x1, b.y2 - b.y1)),
  );

/** The box and the ring around it, clipped to the film. */
function withRing(image: GreyImage, b: PixelBox): PixelBox {
  const ring = ringPx(b);
  return {
    x1: Math.max(0, b.x1 - ring),
    y1: Math.max(0, b.y1 - ring),
    x2: Math.min(image.width, b.x2 + ring),
    y2: Math.min(image.height, b.y2 + ring),
  };
}

/** The film's level under each pixel without the indication, and the noise about it. */
type Background = { level(x: number, y: number): number; noise: number };
type BackgroundModel = (image: GreyImage, b: PixelBox) => Background;

/** Least-squares plane v = a + b·x + c·y through samples (Cramer's rule on the normal equations). */
function fitPlane(xs: number[], ys: number[], vs: number[]): (x: number, y: number) => number {
  let n = 0;
  let sx = 0;
  let sy = 0;
  let sv = 0;
  let sxx = 0;
  let syy = 0;
  let sxy = 0;
  let sxv = 0;
  let syv = 0;
  for (let i = 0; i < vs.length; i++) {
    const x = xs[i] as number;
    const y = ys[i] as number;
    const v = vs[i] as number;
    n++;
    sx += x;
    sy += y;
    sv += v;
    sxx += x * x;
    syy += y * y;
    sxy += x * y;
    sxv += x * v;
    syv += y * v;
  }
  const det = (m: number[]) =>
    (m[0] as number) * ((m[4] as number) * (m[8] as number) - (m[5] as number) * (m[7] as number)) -
    (m[1] as number) * ((m[3] as number) * (m[8] as number) - (m[5] as number) * (m[6] as number)) +
    (m[2] as number) * ((m[3] as number) * (m[7] as number) - (m[4] as number) * (m[6] as number));
  const matrix = [n, sx, sy, sx, sxx, sxy, sy, sxy, syy];
  const d = det(matrix);
  const flat = n ? sv / n : 0;
  // Samples on one line (a ring clipped to a row) fix no plane: a flat level stands in.
  if (Math.abs(d) < 1e-9 * Math.max(1, n) ** 3) return () => flat;
  const a = det([sv, sx, sy, sxv, sxx, sxy, syv, sxy, syy]) / d;
  const b = det([n, sv, sy, sx, sxv, sxy, sy, syv, syy]) / d;
  const c = det([n, sx, sv, sx, sxx, sxv, sy, sxy, syv]) / d;
  return (x, y) => a + b * x + c * y;
}

/**
 * The background under the box and its noise, from a ring around the box (its border when the box
 * fills the film): a plane fitted to the ring, as a weld's density changes across and along it,
 * and the ring's robust spread about that plane. Faint pores stand out best against it.
 */
function planeBackground(image: GreyImage, b: PixelBox): Background {
  const r = withRing(image, b);
  const xs: number[] = [];
  const ys: number[] = [];
  const vs: number[] = [];
  const add = (x: number, y: number) => {
    xs.push(x);
    ys.push(y);
    vs.push(image.data[y * image.width + x] as number);
  };
  for (let y = r.y1; y < r.y2; y++) {
    for (let x = r.x1; x < r.x2; x++) if (x < b.x1 || x >= b.x2 || y < b.y1 || y >= b.y2) add(x, y);
  }
  if (vs.length < 8) {
    for (let x = b.x1; x < b.x2; x++) add(x, b.y1);
    for (let x = b.x1; x < b.x2; x++) add(x, b.y2 - 1);
  }
  const level = fitPlane(xs, ys, vs);
  const residuals = vs.map((v, i) => Math.abs(v - level(xs[i] as number, ys[i] as number)));
  return { level, noise: Math.max(EXTENT_SETTINGS.minNoise, 1.4826 * median(residuals)) };
}

/** Largest median window side: wide enough for a pore a fifth of a film's height on a small film. */
const MAX_WINDOW_PX = 41;

/**
 * The median of the k × k window around each pixel of `r` (clipped to the film), by a histogram slid
 * along each row (Huang's algorithm). Values are taken as grey levels 0–255.
 */
function medianFiltered(image: GreyImage, r: PixelBox, k: number): Float32Array {
  const half = (k - 1) >> 1;
  const w = r.x2 - r.x1;
  const out = new Float32Array(w * (r.y2 - r.y1));
  const level = (x: number, y: number) =>
    Math.min(255, Math.max(0, Math.round(image.data[y * image.width + x] as number)));
  for (let y = r.y1; y < r.y2; y++) {
    const top = Math.max(0, y - half);
    const bottom = Math.min(image.height - 1, y + half);
    const histogram = new Uint32Array(256);
    let count = 0;
    const column = (x: number, sign: 1 | -1) => {
      if (x < 0 || x >= image.width) return;
      for (let yy = top; yy <= bottom; yy++) {
        const bin = level(x, yy);
        histogram[bin] = (histogram[bin] as number) + sign;
      }
      count += sign * (bottom - top + 1);
    };
    for (let x = r.x1 - half; x <= r.x1 + half; x++) column(x, 1);
    for (let x = r.x1; x < r.x2; x++) {
      if (x > r.x1) {
        column(x - half - 1, -1);
        column(x + half, 1);
      }
      let seen = 0;
      let value = 0;
      while (value < 255 && seen + (histogram[value] as number) <= count / 2)
        seen += histogram[value++] as number;
      out[(y - r.y1) * w + (x - r.x1)] = value;
    }
  }
  return out;
}

/**
 * The background under each pixel of the box and its noise: the median of a window twice the box's
 * shorter side (an indication fills less than half of it, so the median is the film around it, and
 * it follows the weld's density across a bead edge as a plane cannot), and the robust spread of a
 * ring around the box about it. Thin cracks along a bead's edge stand out best against it.
 */
function medianBackground(image: GreyImage, b: PixelBox): Background {
  const r = withRing(image, b);
  const k = Math.min(MAX_WINDOW_PX, 2 * Math.min(b.x2 - b.x1, b.y2 - b.y1) + 1) | 1;
  const filtered = medianFiltered(image, r, Math.max(7, k));
  const w = r.x2 - r.x1;
  const level = (x: number, y: number) => filtered[(y - r.y1) * w + (x - r.x1)] as number;
  const residuals: number[] = [];
  for (let y = r.y1; y < r.y2; y++) {
    for (let x = r.x1; x < r.x2; x++) {
      if (x >= b.x1 && x < b.x2 && y >= b.y1 && y < b.y2) continue;
      residuals.push(Math.abs((image.data[y * image.width + x] as number) - level(x, y)));
    }
  }
  if (residuals.length < 8) {
    for (let x = b.x1; x < b.x2; x++)
      residuals.push(Math.abs((image.data[b.y1 * image.width + x] as number) - level(x, b.y1)));
  }
  return { level, noise: Math.max(EXTENT_SETTINGS.minNoise, 1.4826 * median(residuals)) };
}

/** The box's pixels that belong to the indication, as a mask over the box; null when nothing stands out. */
function segment(image: GreyImage, b: PixelBox, model: BackgroundModel) {
  const { level, noise } = model(image, b);
  const w = b.x2 - b.x1;
  const h = b.y2 - b.y1;
  const darker = new Float64Array(w * h);
  const brighter = new Float64Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const v = image.data[(b.y1 + y) * image.width + b.x1 + x] as number;
      const under = level(b.x1 + x, b.y1 + y);
      darker[y * w + x] = under - v;
      brighter[y * w + x] = v - under;
    }
  }
  const peakDark = upper(darker, 0.99);
  const peakBright = upper(brighter, 0.99);
  const deviation = peakBright >= peakDark ? brighter : darker;
  const peak = Math.max(peakDark, peakBright);
  if (peak < EXTENT_SETTINGS.minContrastSigmas * noise) return null;
  const threshold = Math.max(peak / 2, EXTENT_SETTINGS.minSigmas * noise);
  const mask = new Uint8Array(w * h);
  for (let i = 0; i < mask.length; i++) mask[i] = (deviation[i] as number) >= threshold ? 1 : 0;
  return { mask, w, h, deviation, threshold };
}

/** Connected parts of a mask (8-neighbours), each as its pixels' indices. */
function components(mask: Uint8Array, w: number, h: number): number[][] {
  const seen = new Uint8Array(mask.length);
  const parts: number[][] = [];
  for (let start = 0; start < mask.length; start++) {
    if (!mask[start] || seen[start]) continue;
    const part: number[] = [];
    const stack = [start];
    seen[start] = 1;
    while (stack.length) {
      const i = stack.pop() as number;
      part.push(i);
      const x = i % w;
      const y = (i - x) / w;
      for (let dy = -1; dy <= 1; dy++) {
        for (let dx = -1; dx <= 1; dx++) {
          const nx = x + dx;
          const ny = y + dy;
          if (nx < 0 || ny < 0 || nx >= w || ny >= h) continue;
          const j = ny * w + nx;
          if (mask[j] && !seen[j]) {
            seen[j] = 1;
            stack.push(j);
          }
        }
      }
    }
    parts.push(part);
  }
  return parts;
}

/** Convex hull of points (Andrew's monotone chain), counter-clockwise. */
function hull(points: Point[]): Point[] {
  const sorted = [...points].sort((a, b) => a.x - b.x || a.y - b.y);
  if (sorted.length < 3) return sorted;
  const cross = (o: Point, a: Point, b: Point) => (a.x - o.x) * (b.y - o.y) - (a.y - o.y) * (b.x - o.x);
  const lower: Point[] = [];
  for (const p of sorted) {
    while (lower.length >= 2 && cross(lower.at(-2) as Point, lower.at(-1) as Point, p) <= 0) lower.pop();
    lower.push(p);
  }
  const upperChain: Point[] = [];
  for (const p of sorted.reverse()) {
    while (upperChain.length >= 2 && cross(upperChain.at(-2) as Point, upperChain.at(-1) as Point, p) <= 0)
      upperChain.pop();
    upperChain.push(p);
  }
  return [...lower.slice(0, -1), ...upperChain.slice(0, -1)];
}

/**
 * The maximum Feret diameter of a set of points and the extent across `axis` (a unit vector; by
 * default the diameter's own direction). Each point stands for a sample `step` pixels wide, so both
 * gain one step (half of one at each end and each edge).
 */
export function feret(points: Point[], step = 1, axis?: Point): { a: Point; b: Point; widthPx: number } {
  const corners = hull(points);
  let best = { a: corners[0] as Point, b: corners[0] as Point, d: -1 };
  for (let i = 0; i < corners.length; i++) {
    for (let j = i + 1; j < corners.length; j++) {
      const a = corners[i] as Point;
      const b = corners[j] as Point;
      const d = Math.hypot(b.x - a.x, b.y - a.y);
      if (d > best.d) best = { a, b, d };
    }
  }
  const along =
    best.d > 0 ? { x: (best.b.x - best.a.x) / best.d, y: (best.b.y - best.a.y) / best.d } : { x: 1, y: 0 };
  const across = axis ? { x: -axis.y, y: axis.x } : { x: -along.y, y: along.x };
  let low = Number.POSITIVE_INFINITY;
  let high = Number.NEGATIVE_INFINITY;
  for (const p of corners) {
    const t = p.x * across.x + p.y * across.y;
    low = Math.min(low, t);
    high = Math.max(high, t);
  }
  const half = step / 2;
  return {
    a: { x: best.a.x - half * along.x, y: best.a.y - half * along.y },
    b: { x: best.b.x + half * along.x, y: best.b.y + half * along.y },
    widthPx: high - low + step,
  };
}

/** Sub-samples per pixel side where the indication's edges are placed; fewer for a large one. */
const SUBSAMPLES = 4;
/** Most sub-samples one indication is measured with (bounds the time a huge box takes). */
const MAX_SAMPLES = 4_000_000;

/**
 * The indication's outline to a fraction of a pixel: the deviation from background, interpolated
 * bilinearly between pixel centres, taken at the same threshold on a finer grid around the pixels
 * found. Only each sample row's two ends are kept: they hold the hull.
 */
function outline(found: NonNullable<ReturnType<typeof segment>>, keep: Uint8Array, origin: Point) {
  const { w, h, deviation, threshold } = found;
  let count = 0;
  for (const k of keep) count += k;
  const f = Math.max(1, Math.min(SUBSAMPLES, Math.floor(Math.sqrt(MAX_SAMPLES / Math.max(1, 9 * count)))));
  const at = (x: number, y: number) =>
    deviation[Math.min(h - 1, Math.max(0, y)) * w + Math.min(w - 1, Math.max(0, x))] as number;
  const sample = (px: number, py: number) => {
    const u = px - 0.5;
    const v = py - 0.5;
    const x0 = Math.floor(u);
    const y0 = Math.floor(v);
    const fx = u - x0;
    const fy = v - y0;
    const top = at(x0, y0) * (1 - fx) + at(x0 + 1, y0) * fx;
    const bottom = at(x0, y0 + 1) * (1 - fx) + at(x0 + 1, y0 + 1) * fx;
    return top * (1 - fy) + bottom * fy;
  };
  const near = (x: number, y: number) => {
    for (let dy = -1; dy <= 1; dy++)
      for (let dx = -1; dx <= 1; dx++) {
        const nx = x + dx;
        const ny = y + dy;
        if (nx >= 0 && ny >= 0 && nx < w && ny < h && keep[ny * w + nx]) return true;
      }
    return false;
  };
  const points: Point[] = [];
  for (let y = 0; y < h; y++) {
    const rows = Array.from({ length: f }, () => ({ low: Number.POSITIVE_INFINITY, high: -1 }));
    for (let x = 0; x < w; x++) {
      if (!near(x, y)) continue;
      for (let j = 0; j < f; j++) {
        const row = rows[j] as { low: number; high: number };
        for (let i = 0; i < f; i++) {
          const px = x + (i + 0.5) / f;
          if (sample(px, y + (j + 0.5) / f) < threshold) continue;
          row.low = Math.min(row.low, px);
          row.high = Math.max(row.high, px);
        }
      }
    }
    rows.forEach((row, j) => {
      if (row.high < 0) return;
      const py = origin.y + y + (j + 0.5) / f;
      points.push({ x: origin.x + row.low, y: py }, { x: origin.x + row.high, y: py });
    });
  }
  return { points, step: 1 / f };
}

/**
 * The direction an indication's pixels spread most (from their second moments). Its width is taken
 * across this axis rather than across the Feret line: a straight crack's Feret line runs corner to
 * corner of its square ends, tilted from its axis, and the extent across that tilt is twice its width.
 */
function principalAxis(keep: Uint8Array, w: number): Point {
  let n = 0;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < keep.length; i++) {
    if (!keep[i]) continue;
    n++;
    mx += i % w;
    my += Math.floor(i / w);
  }
  mx /= n;
  my /= n;
  let xx = 0;
  let yy = 0;
  let xy = 0;
  for (let i = 0; i < keep.length; i++) {
    if (!keep[i]) continue;
    const dx = (i % w) - mx;
    const dy = Math.floor(i / w) - my;
    xx += dx * dx;
    yy += dy * dy;
    xy += dx * dy;
  }
  const angle = Math.atan2(2 * xy, xx - yy) / 2;
  return { x: Math.cos(angle), y: Math.sin(angle) };
}

/** The box's own sides, when nothing in it can be measured. */
function boxExtent(box: Box): Extent {
  const cx = (box.x1 + box.x2) / 2;
  const cy = (box.y1 + box.y2) / 2;
  const wide = box.x2 - box.x1 >= box.y2 - box.y1;
  return {
    line: wide ? { x1: box.x1, y1: cy, x2: box.x2, y2: cy } : { x1: cx, y1: box.y1, x2: cx, y2: box.y2 },
    widthPx: wide ? box.y2 - box.y1 : box.x2 - box.x1,
    method: "box",
  };
}

/** The box's indication measured on `image`, whose pixel (0, 0) is the film's `offset`; null when none stands out. */
function measureIn(image: GreyImage, b: PixelBox, offset: Point, model: BackgroundModel): Extent | null {
  const found = segment(image, b, model);
  if (!found) return null;
  const parts = components(found.mask, found.w, found.h).sort((p, q) => q.length - p.length);
  const largest = parts[0]?.length ?? 0;
  const kept = parts.filter((part) => part.length >= Math.max(1, EXTENT_SETTINGS.fragmentFraction * largest));
  const keep = new Uint8Array(found.mask.length);
  for (const part of kept) for (const i of part) keep[i] = 1;
  const { points, step } = outline(found, keep, { x: offset.x + b.x1, y: offset.y + b.y1 });
  if (points.length === 0) return null;
  const { a, b: end, widthPx } = feret(points, step, principalAxis(keep, found.w));
  return { line: { x1: a.x, y1: a.y, x2: end.x, y2: end.y }, widthPx, method: "segmented" };
}

/**
 * The box with its background ring, each pixel the mean of its 3 × 3 neighbourhood: film grain
 * drops to a third while an indication two or more pixels across keeps most of its contrast.
 */
function smoothedRegion(image: GreyImage, b: PixelBox): { crop: GreyImage; offset: Point } {
  const { x1, y1, x2, y2 } = withRing(image, b);
  const width = x2 - x1;
  const height = y2 - y1;
  const data = new Float32Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let sum = 0;
      let count = 0;
      for (let dy = -1; dy <= 1; dy++) {
        const row = y1 + y + dy;
        if (row < 0 || row >= image.height) continue;
        for (let dx = -1; dx <= 1; dx++) {
          const column = x1 + x + dx;
          if (column < 0 || column >= image.width) continue;
          sum += image.data[row * image.width + column] as number;
          count++;
        }
      }
      data[y * width + x] = sum / count;
    }
  }
  return { crop: { data, width, height }, offset: { x: x1, y: y1 } };
}

/**
 * An indication's length (its maximum Feret diameter) and width across it, from the film's pixels
 * in its box: segmented against the local background around the box (`EXTENT_SETTINGS`); the
 * largest part, with fragments of a broken indication, is measured. One too faint against the
 * film's grain pixel by pixel is looked for again on the film smoothed over 3 × 3 pixels.
 */
export function measureExtent(
  image: GreyImage,
  box: Box,
  limits: { maxBoxPixels: number } = { maxBoxPixels: EXTENT_SETTINGS.maxBoxPixels },
): Extent {
  const b = pixelBox(box, image);
  const area = (b.x2 - b.x1) * (b.y2 - b.y1);
  if (b.x2 - b.x1 < 1 || b.y2 - b.y1 < 1 || area > limits.maxBoxPixels) return boxExtent(box);
  const origin = { x: 0, y: 0 };
  const direct =
    measureIn(image, b, origin, medianBackground) ?? measureIn(image, b, origin, planeBackground);
  if (direct) return direct;
  const { crop, offset } = smoothedRegion(image, b);
  const local = { x1: b.x1 - offset.x, y1: b.y1 - offset.y, x2: b.x2 - offset.x, y2: b.y2 - offset.y };
  return measureIn(crop, local, offset, planeBackground) ?? boxExtent(box);
}
