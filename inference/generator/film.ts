/**
 * The radiograph without defects: plate, weld bead with ripple, image quality indicator, lead
 * markers, then "development": unsharpness, exposure gradient, film grain and contrast.
 *
 * Brightness follows film convention as displayed: more material → less exposure → lighter. The
 * bead (reinforcement) is a light band; voids are dark; dense tungsten is bright.
 * Everything is drawn in a canonical frame with the bead running along x; the caller transposes.
 */

import type { Rng } from "./prng";
import { type Box, gaussianBlur, noise1d, type Plane, valueNoise } from "./raster";

export interface Bead {
  /** Bead centre line y for each column. */
  centre: Float32Array;
  /** Half width of the bead for each column. */
  halfWidth: Float32Array;
}

export interface Scene {
  width: number;
  height: number;
  /** Model-input pixels per image pixel (letterbox scale at the target input size). */
  scale: number;
  /** Whether the finished image is transposed so the bead runs vertically. */
  transpose: boolean;
  /** Hard film: noisier, blurrier, lower contrast. */
  hard: boolean;
  bead: Bead | undefined;
  blurSigma: number;
  grainSigma: number;
  /** Film style B (`planStyleBScene`); absent for the default style A. */
  styleB?: StyleB;
}

/** The second film style, for measuring what fine-tuning on another look buys. */
export interface StyleB {
  /** Multiplies every defect's contrast: style B's defects are fainter against its grain. */
  defectGain: number;
}

/** Film looks: `a` is the default model's training style, `b` a different detector and process. */
export const FILM_STYLES = ["a", "b"] as const;
export type FilmStyle = (typeof FILM_STYLES)[number];

export function planScene(rng: Rng, imgsz: number): Scene {
  const long = rng.int(480, 1280);
  // Square plates, ordinary films and long strips along the weld.
  const aspect = rng.chance(0.3)
    ? rng.uniform(1, 1.5)
    : rng.chance(0.55)
      ? rng.uniform(1.5, 2.5)
      : rng.uniform(2.5, 4);
  const width = long;
  const height = Math.max(120, Math.round(long / aspect));
  const scale = imgsz / Math.max(width, height);
  const hard = rng.chance(0.25);
  const bead = rng.chance(0.95) ? planBead(rng, width, height, scale) : undefined;
  return {
    width,
    height,
    scale,
    transpose: rng.chance(0.3),
    hard,
    bead,
    blurSigma: rng.uniform(0.25, hard ? 0.9 : 0.6) / scale,
    grainSigma: hard ? rng.uniform(0.02, 0.045) : rng.uniform(0.004, 0.02),
  };
}

/**
 * A long digital strip along the weld (issue #15): 4,000–8,000 px by 320–720 px, drawn at the
 * model's resolution (scale 1: a tile of input-size film pixels is one model input, so defect sizes,
 * bead width and unsharpness per tile are those of the training films at the model input). Letterboxed
 * whole, the same strip shrinks 12–25 times and its defects fall below a pixel.
 */
export function planLargeScene(rng: Rng): Scene {
  const width = rng.int(4000, 8000);
  const height = rng.int(320, 720);
  const scale = 1;
  const hard = rng.chance(0.25);
  const bead = planBead(rng, width, height, scale);
  return {
    width,
    height,
    scale,
    transpose: false,
    hard,
    bead,
    blurSigma: rng.uniform(0.25, hard ? 0.9 : 0.6) / scale,
    grainSigma: hard ? rng.uniform(0.02, 0.045) : rng.uniform(0.004, 0.02),
  };
}

/**
 * Style B: another detector and process (issue #20). Strips of 3,000–6,000 × 400–900 px at the
 * model's resolution like `planLargeScene`, with a wider flat-crowned bead, coarser grain, an
 * S-shaped characteristic curve with scan-line banding (`developStyleB`) and fainter defects, small
 * pores dominating (`paintDefect`).
 */
export function planStyleBScene(rng: Rng): Scene {
  const width = rng.int(3000, 6000);
  const height = rng.int(400, 900);
  const hard = rng.chance(0.25);
  const bead = planBead(rng, width, height, 1, 25, 70);
  return {
    width,
    height,
    scale: 1,
    transpose: false,
    hard,
    bead,
    blurSigma: rng.uniform(0.4, hard ? 1.1 : 0.8),
    grainSigma: hard ? rng.uniform(0.025, 0.05) : rng.uniform(0.01, 0.03),
    styleB: { defectGain: hard ? rng.uniform(0.45, 0.7) : rng.uniform(0.6, 0.9) },
  };
}

function planBead(rng: Rng, width: number, height: number, scale: number, minHalf = 12, maxHalf = 45): Bead {
  const inputHeight = height * scale;
  const half = Math.min(rng.uniform(minHalf, maxHalf), inputHeight * 0.36) / scale;
  const centre0 = height / 2 + rng.uniform(-0.08, 0.08) * height;
  const wander = noise1d(width, width / rng.uniform(1.5, 4), rng);
  const swell = noise1d(width, width / rng.uniform(2, 6), rng);
  const centre = new Float32Array(width);
  const halfWidth = new Float32Array(width);
  const wanderAmp = Math.min(0.03 * height, half * 0.3);
  for (let x = 0; x < width; x++) {
    centre[x] = centre0 + wanderAmp * (wander[x] ?? 0);
    halfWidth[x] = half * (1 + 0.1 * (swell[x] ?? 0));
  }
  return { centre, halfWidth };
}

/** Plate density, bead reinforcement and ripple. Returns regions that defects must keep clear of. */
export function paintBase(plane: Plane, scene: Scene, rng: Rng): Box[] {
  const { width, height, data } = plane;
  const plateLevel = rng.uniform(0.25, 0.45);
  const broad = valueNoise(width, height, Math.max(width, height) / rng.uniform(2, 4), rng, 2);
  const mottle = valueNoise(width, height, rng.uniform(8, 20) / scene.scale, rng, 2);
  const broadAmp = rng.uniform(0.01, 0.05);
  const mottleAmp = rng.uniform(0.004, 0.02);
  for (let i = 0; i < data.length; i++) {
    data[i] = plateLevel + broadAmp * (broad.data[i] ?? 0) + mottleAmp * (mottle.data[i] ?? 0);
  }
  if (scene.bead && scene.styleB) paintBeadStyleB(plane, scene.bead, rng);
  else if (scene.bead) paintBead(plane, scene.bead, scene.scale, rng);
  const reserved: Box[] = [];
  if (rng.chance(0.25)) reserved.push(paintWireIqi(plane, scene, rng));
  if (rng.chance(0.2)) reserved.push(paintLeadMarkers(plane, scene, rng));
  return reserved;
}

function paintBead(plane: Plane, bead: Bead, scale: number, rng: Rng): void {
  const { width, height, data } = plane;
  const reinforcement = rng.uniform(0.1, 0.3);
  const exponent = rng.uniform(0.4, 1);
  const wavelength = rng.uniform(4, 12) / scale;
  const rippleAmp = reinforcement * rng.uniform(0.1, 0.35);
  const curvature = rng.uniform(0.3, 1.2);
  const phaseJitter = noise1d(width, wavelength * 3, rng);
  for (let x = 0; x < width; x++) {
    const c = bead.centre[x] ?? 0;
    const hw = bead.halfWidth[x] ?? 1;
    const y0 = Math.max(0, Math.floor(c - hw));
    const y1 = Math.min(height - 1, Math.ceil(c + hw));
    for (let y = y0; y <= y1; y++) {
      const d = (y - c) / hw;
      const inside = 1 - d * d;
      if (inside <= 0) continue;
      const profile = inside ** exponent;
      // Solidification ripples are arcs across the bead: phase lags towards the toes.
      const phase = (2 * Math.PI * (x - curvature * hw * d * d)) / wavelength + 0.6 * (phaseJitter[x] ?? 0);
      const i = y * width + x;
      data[i] = (data[i] ?? 0) + profile * (reinforcement + rippleAmp * Math.sin(phase));
    }
  }
}

/**
 * Style B's bead: a flat crown with steep toes, long shallow ripples, and a dark root line along the
 * centre (incomplete root reinforcement, seen through the plate; not a defect).
 */
function paintBeadStyleB(plane: Plane, bead: Bead, rng: Rng): void {
  const { width, height, data } = plane;
  const reinforcement = rng.uniform(0.15, 0.35);
  const flatness = rng.uniform(3, 6);
  const wavelength = rng.uniform(12, 22);
  const rippleAmp = reinforcement * rng.uniform(0.05, 0.15);
  const rootDepth = rng.uniform(0.02, 0.06);
  const rootHalf = rng.uniform(0.05, 0.12);
  const rootWander = noise1d(width, rng.uniform(200, 600), rng);
  for (let x = 0; x < width; x++) {
    const c = bead.centre[x] ?? 0;
    const hw = bead.halfWidth[x] ?? 1;
    const y0 = Math.max(0, Math.floor(c - hw));
    const y1 = Math.min(height - 1, Math.ceil(c + hw));
    const root = 0.15 * (rootWander[x] ?? 0);
    for (let y = y0; y <= y1; y++) {
      const d = (y - c) / hw;
      const crown = 1 - Math.abs(d) ** flatness;
      if (crown <= 0) continue;
      const ripple = rippleAmp * Math.sin((2 * Math.PI * (x - 0.5 * hw * d * d)) / wavelength);
      const r = (d - root) / rootHalf;
      const i = y * width + x;
      data[i] = (data[i] ?? 0) + crown * (reinforcement + ripple) - rootDepth * Math.exp(-r * r);
    }
  }
}

/** ISO 19232-1 style wire IQI: parallel wires across the weld, each thinner than the last. */
function paintWireIqi(plane: Plane, scene: Scene, rng: Rng): Box {
  const { width, height, data } = plane;
  const wires = 7;
  const spacing = rng.uniform(5, 8) / scene.scale;
  const length = Math.min(height * 0.8, rng.uniform(40, 90) / scene.scale);
  const atStart = rng.chance(0.5);
  const span = spacing * wires;
  const x0 = atStart ? width * 0.03 : width * 0.97 - span;
  const y0 = rng.uniform(height * 0.1, Math.max(height * 0.1, height * 0.9 - length));
  const level = rng.uniform(0.08, 0.2);
  for (let w = 0; w < wires; w++) {
    const radius = Math.max(0.5, (1.8 - w * 0.2) / Math.sqrt(scene.scale) / 2);
    const cx = x0 + spacing * (w + 0.5);
    for (let y = Math.floor(y0); y < Math.min(height, y0 + length); y++) {
      for (let x = Math.floor(cx - radius - 1); x <= Math.ceil(cx + radius + 1); x++) {
        if (x < 0 || x >= width) continue;
        const dx = (x + 0.5 - cx) / radius;
        if (Math.abs(dx) >= 1) continue;
        // A cylinder's path length through the wire: bright in the middle, fading at its sides.
        data[y * width + x] = (data[y * width + x] ?? 0) + level * Math.sqrt(1 - dx * dx);
      }
    }
  }
  return { x1: x0, y1: y0, x2: x0 + span, y2: y0 + length };
}

// Seven-segment glyphs: segment rectangles in a 3×5 cell (x, y, w, h).
const SEGMENTS: ReadonlyArray<readonly [number, number, number, number]> = [
  [0, 0, 3, 1],
  [2, 0, 1, 3],
  [2, 2, 1, 3],
  [0, 4, 3, 1],
  [0, 2, 1, 3],
  [0, 0, 1, 3],
  [0, 2, 3, 1],
];
const DIGITS = [0x3f, 0x06, 0x5b, 0x4f, 0x66, 0x6d, 0x7d, 0x07, 0x7f, 0x6f];

/** Lead identification numbers on the plate: bright, blocky, a common source of false alarms. */
function paintLeadMarkers(plane: Plane, scene: Scene, rng: Rng): Box {
  const { width, height, data } = plane;
  const unit = rng.uniform(2.5, 4) / scene.scale;
  const count = rng.int(2, 4);
  const glyphW = unit * 4;
  const x0 = rng.uniform(width * 0.1, width * 0.9 - glyphW * count);
  const top = rng.chance(0.5);
  const y0 = top ? height * 0.04 : height * 0.96 - unit * 5;
  const level = rng.uniform(0.25, 0.45);
  for (let g = 0; g < count; g++) {
    const mask = DIGITS[rng.int(0, 9)] ?? 0;
    SEGMENTS.forEach(([sx, sy, sw, sh], s) => {
      if (!(mask & (1 << s))) return;
      const gx = x0 + g * glyphW + sx * unit;
      const gy = y0 + sy * unit;
      for (let y = Math.max(0, Math.floor(gy)); y < Math.min(height, gy + sh * unit); y++) {
        for (let x = Math.max(0, Math.floor(gx)); x < Math.min(width, gx + sw * unit); x++) {
          data[y * width + x] = Math.max(data[y * width + x] ?? 0, level + 0.5);
        }
      }
    });
  }
  return { x1: x0, y1: y0, x2: x0 + glyphW * count, y2: y0 + unit * 5 };
}

/** Unsharpness, uneven exposure, grain and the film's contrast; the result is clamped to [0, 1]. */
export function develop(plane: Plane, scene: Scene, rng: Rng): void {
  const { width, height, data } = plane;
  gaussianBlur(plane, scene.blurSigma);
  const angle = rng.uniform(0, 2 * Math.PI);
  const ramp = rng.uniform(0, 0.2);
  const vignette = rng.uniform(0, 0.15);
  const contrast = scene.hard ? rng.uniform(0.55, 0.9) : rng.uniform(0.8, 1.3);
  const offset = rng.uniform(-0.08, 0.08);
  const grainCell = rng.uniform(1, 2.5);
  const clumps = valueNoise(width, height, grainCell, rng);
  const ca = Math.cos(angle);
  const sa = Math.sin(angle);
  for (let y = 0; y < height; y++) {
    const ny = y / height - 0.5;
    for (let x = 0; x < width; x++) {
      const nx = x / width - 0.5;
      const i = y * width + x;
      const exposure = ramp * (nx * ca + ny * sa) - vignette * (nx * nx + ny * ny);
      const v = ((data[i] ?? 0) + exposure - 0.5) * contrast + 0.5 + offset;
      // White grain plus clumped grain, stronger where the film is darker (more silver).
      const g = scene.grainSigma * (1.3 - v) * (0.8 * (clumps.data[i] ?? 0) + 0.7 * rng.normal());
      data[i] = Math.min(1, Math.max(0, v + g));
    }
  }
}

const logistic = (t: number): number => 1 / (1 + Math.exp(-t));

/**
 * Style B's development: unsharpness, then an S-shaped characteristic curve (toe and shoulder, where
 * style A's is linear), coarse clumped grain that is stronger in light areas, and faint scan-line
 * banding along the rows, as a line-scan digitiser leaves it.
 */
export function developStyleB(plane: Plane, scene: Scene, rng: Rng): void {
  const { width, height, data } = plane;
  gaussianBlur(plane, scene.blurSigma);
  const steep = scene.hard ? rng.uniform(3, 4.5) : rng.uniform(4.5, 7);
  const mid = rng.uniform(0.4, 0.6);
  const lo = logistic(-steep * mid);
  const hi = logistic(steep * (1 - mid));
  const clumps = valueNoise(width, height, rng.uniform(2.5, 4), rng);
  const banding = noise1d(height, rng.uniform(2, 6), rng);
  const bandAmp = rng.uniform(0.003, 0.012);
  for (let y = 0; y < height; y++) {
    const band = bandAmp * (banding[y] ?? 0);
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      const v = (logistic(steep * ((data[i] ?? 0) + band - mid)) - lo) / (hi - lo);
      const g = scene.grainSigma * (0.6 + 0.8 * v) * (1.1 * (clumps.data[i] ?? 0) + 0.5 * rng.normal());
      data[i] = Math.min(1, Math.max(0, v + g));
    }
  }
}
