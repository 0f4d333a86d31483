import { type Candidate, checkBatchIndex, checkRank3, type Decoder } from "./types";

/**
 * Ultralytics v8/v11 head `[B, 4 + nc, N]`: per anchor cx, cy, w, h in input pixels, then one score
 * per class (already sigmoid-ed, no objectness). Channels are the slow axis, anchors the fast one.
 */
export const decodeUltralytics: Decoder = (data, dims, batchIndex, { conf, classes }) => {
  const [batch, channels, anchors] = checkRank3(dims, "ultralytics");
  checkBatchIndex(batchIndex, batch);
  const numClasses = channels - 4;
  const base = batchIndex * channels * anchors;
  const out: Candidate[] = [];
  for (let i = 0; i < anchors; i++) {
    let best = -1;
    let score = Number.NEGATIVE_INFINITY;
    for (let c = 0; c < numClasses; c++) {
      const value = data[base + (4 + c) * anchors + i] as number;
      if (value > score) {
        score = value;
        best = c;
      }
    }
    if (!(score > conf) || (classes !== null && !classes.has(best))) continue;
    const cx = data[base + i] as number;
    const cy = data[base + anchors + i] as number;
    const w = data[base + 2 * anchors + i] as number;
    const h = data[base + 3 * anchors + i] as number;
    out.push({ x1: cx - w / 2, y1: cy - h / 2, x2: cx + w / 2, y2: cy + h / 2, score, classId: best });
  }
  return out;
};
