import type { TrainItemPage } from "@common/contracts/train-claim";
import type { Db } from "@db/client-worker";
import { datasetItems, trainings } from "@db/schema";
import { eq } from "drizzle-orm";
import type { Config } from "../config";
import { signObjectUrl } from "../images/signed-url";
import { selectPage } from "../routes/pagination";
import { currentAttempt, type StopReason, stopReason } from "./attempt";

/**
 * A page of the run's dataset for the current attempt, in item order, each image with a freshly
 * signed read URL (R2 presigned when configured: the bytes never pass through the Worker). Null
 * with the reason when the attempt is no longer current.
 */
export async function trainingItems(
  db: Db,
  config: Config,
  request: { id: string; attempt: number; cursor?: string | undefined; limit: number },
): Promise<{ page: TrainItemPage } | { stop: StopReason }> {
  const [run] = await db
    .select({ datasetId: trainings.datasetId })
    .from(trainings)
    .where(currentAttempt(request.id, request.attempt));
  if (!run) return { stop: await stopReason(db, request.id, request.attempt) };
  const { page, nextCursor } = await selectPage(
    db.select().from(datasetItems).$dynamic(),
    datasetItems.id,
    { cursor: request.cursor, limit: request.limit, order: "oldest" },
    eq(datasetItems.datasetId, run.datasetId),
  );
  const items = await Promise.all(
    page.map(async (item) => ({
      key: item.key,
      split: item.split,
      url: (await signObjectUrl(config, item.objectKey)).url,
      sha256: item.sha256,
      format: item.format,
      width: item.width,
      height: item.height,
      boxes: item.boxes,
    })),
  );
  return { page: { items, nextCursor } };
}
