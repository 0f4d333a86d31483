import type { TestWorker } from "./test-worker";

/** Entry module of a test Worker whose `METRICS` dataset records (see recording-metrics-entry.ts). */
export const RECORDING_METRICS_ENTRY = "scripts/testing/recording-metrics-entry.ts";

/** Where that Worker serves, and empties, the data points written so far. */
export const DATA_POINTS_PATH = "/__test/data-points";

export type RecordedPoint = { indexes?: string[]; blobs?: string[]; doubles?: number[] };

/** The data points written since the last call. */
export async function takeDataPoints(worker: TestWorker): Promise<RecordedPoint[]> {
  const response = await worker.fetch(DATA_POINTS_PATH);
  if (!response.ok) throw new Error(`data points: ${response.status}`);
  return (await response.json()) as RecordedPoint[];
}
