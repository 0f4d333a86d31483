import type { DetectParams } from "@common/contracts/detect-message";
import { type DetectMessage, DetectMessageSchema } from "@common/contracts/detect-message";
import { images } from "@db/schema";
import type { Config } from "../config";
import { signImageUrl } from "../images/signed-url";

export type QueuedJob = { id: string; model: string; params: DetectParams; traceparent: string | null };
export type QueuedImage = { id: string; objectKey: string; width: number; height: number; sha256: string };

/** The image columns a queue message needs, for a query that joins `images`. */
export const queuedImageColumns = {
  id: images.id,
  objectKey: images.objectKey,
  width: images.width,
  height: images.height,
  sha256: images.sha256,
};

/** The versioned queue message for one job, with a freshly signed image URL. */
export async function detectMessage(
  config: Config,
  job: QueuedJob,
  image: QueuedImage,
): Promise<DetectMessage> {
  const { url, expiresAt } = await signImageUrl(config, image.objectKey);
  return DetectMessageSchema.parse({
    version: 1,
    jobId: job.id,
    image: {
      id: image.id,
      url,
      urlExpiresAt: expiresAt.toISOString(),
      width: image.width,
      height: image.height,
      sha256: image.sha256,
    },
    model: job.model,
    params: job.params,
    traceparent: job.traceparent ?? "",
    enqueuedAt: new Date().toISOString(),
  });
}

/** Queues allow at most 100 messages per sendBatch call. */
const SEND_BATCH_LIMIT = 100;

/**
 * Enqueues messages as JSON (the HTTP pull consumer cannot read the default V8 encoding),
 * one `sendBatch` per hundred.
 */
export async function enqueueDetect(queue: Queue<unknown>, messages: DetectMessage[]): Promise<void> {
  for (let i = 0; i < messages.length; i += SEND_BATCH_LIMIT) {
    await queue.sendBatch(
      messages.slice(i, i + SEND_BATCH_LIMIT).map((body) => ({ body, contentType: "json" as const })),
    );
  }
}
