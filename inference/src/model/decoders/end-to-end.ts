import { type Candidate, checkBatchIndex, checkRank3, type Decoder } from "./types";

/**
 * End-to-end heads (YOLOv10, YOLO26) `[B, K, 6]`: rows of x1, y1, x2, y2, score, class, already
 * de-duplicated by the model, so no NMS follows.
 */
export const decodeEndToEnd: Decoder = (data, dims, batchIndex, { conf, classes }) => {
  const [batch, rows, width] = checkRank3(dims, "end-to-end");
  checkBatchIndex(batchIndex, batch);
  const out: Candidate[] = [];
  for (let r = 0; r < rows; r++) {
    const row = (batchIndex * rows + r) * width;
    const score = data[row + 4] as number;
    const classId = Math.round(data[row + 5] as number);
    if (!(score > conf) || classId < 0 || (classes !== null && !classes.has(classId))) continue;
    out.push({
      x1: data[row] as number,
      y1: data[row + 1] as number,
      x2: data[row + 2] as number,
      y2: data[row + 3] as number,
      score,
      classId,
    });
  }
  return out;
};
