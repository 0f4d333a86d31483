import { type Candidate, checkBatchIndex, checkRank3, type Decoder } from "./types";

/**
 * Classic YOLOv5 output `[B, N, 5 + nc]`: per row cx, cy, w, h, objectness, class scores. The
 * score of a row is objectness × best class score, as in YOLOv5's own NMS.
 */
export const decodeYolov5: Decoder = (data, dims, batchIndex, { conf, classes }) => {
  const [batch, rows, width] = checkRank3(dims, "yolov5");
  checkBatchIndex(batchIndex, batch);
  const numClasses = width - 5;
  const out: Candidate[] = [];
  for (let r = 0; r < rows; r++) {
    const row = (batchIndex * rows + r) * width;
    const objectness = data[row + 4] as number;
    // A row whose objectness is already below the threshold cannot pass it after multiplying.
    if (!(objectness > conf)) continue;
    let best = -1;
    let classScore = Number.NEGATIVE_INFINITY;
    for (let c = 0; c < numClasses; c++) {
      const value = data[row + 5 + c] as number;
      if (value > classScore) {
        classScore = value;
        best = c;
      }
    }
    const score = objectness * classScore;
    if (!(score > conf) || (classes !== null && !classes.has(best))) continue;
    const cx = data[row] as number;
    const cy = data[row + 1] as number;
    const w = data[row + 2] as number;
    const h = data[row + 3] as number;
    out.push({ x1: cx - w / 2, y1: cy - h / 2, x2: cx + w / 2, y2: cy + h / 2, score, classId: best });
  }
  return out;
};
