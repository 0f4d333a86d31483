/** A scored box in model-input pixels (xyxy), before NMS and mapping back to the image. */
export interface Candidate {
  x1: number;
  y1: number;
  x2: number;
  y2: number;
  score: number;
  classId: number;
}

export interface DecodeOptions {
  /** Minimum score kept (exclusive, as Ultralytics does). */
  conf: number;
  /** Only these class ids are kept; null keeps all. */
  classes: ReadonlySet<number> | null;
}

/** Decodes the candidates of one batch item from a model's raw output tensor. */
export type Decoder = (
  data: Float32Array,
  dims: readonly number[],
  batchIndex: number,
  options: DecodeOptions,
) => Candidate[];

export function checkRank3(dims: readonly number[], layout: string): [number, number, number] {
  const [batch, a, b] = dims;
  if (dims.length !== 3 || batch === undefined || a === undefined || b === undefined) {
    throw new Error(`${layout} decoder expects a rank-3 output, got [${dims.join(", ")}]`);
  }
  return [batch, a, b];
}

export function checkBatchIndex(batchIndex: number, batch: number): void {
  if (!Number.isInteger(batchIndex) || batchIndex < 0 || batchIndex >= batch) {
    throw new RangeError(`batch index ${batchIndex} outside [0, ${batch})`);
  }
}
