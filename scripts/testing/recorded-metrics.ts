import { z } from "zod";
import { readBody } from "./responses";
import type { TestWorker } from "./test-worker";

/** Entry module of a test Worker whose `METRICS` dataset records (see recording-metrics-entry.ts). */
export const RECORDING_METRICS_ENTRY = "scripts/testing/recording-metrics-entry.ts";

/** Where that Worker serves, and empties, the data points written so far. */
export const DATA_POINTS_PATH = "/__test/data-points";

/** An Analytics Engine data point as the edge writes it: string indexes and blobs, numeric doubles. */
const RecordedPointSchema = z.object({
  indexes: z.array(z.string()).optional(),
  blobs: z.array(z.string()).optional(),
  doubles: z.array(z.number()).optional(),
});
export type RecordedPoint = z.infer<typeof RecordedPointSchema>;

/** The data points written since the last call. */
export async function takeDataPoints(worker: TestWorker): Promise<RecordedPoint[]> {
  const response = await worker.fetch(DATA_POINTS_PATH);
  if (!response.ok) throw new Error(`data points: ${response.status}`);
  return readBody(response, z.array(RecordedPointSchema));
}
