import { eq } from "drizzle-orm";
import { z } from "zod";
import { jobs } from "../../../db/schema";
import { failJob } from "../../../edge/src/jobs/complete";
import { enqueueDeliveries } from "../../../edge/src/webhooks/deliveries";
import { errorMessage, type HandlerContext } from "./context";
import { retryDelaySeconds } from "./retry-delay";

/** Only the job id matters here; the rest of a dead message may be unreadable. */
const DeadMessageSchema = z.object({ jobId: z.uuid() });

/**
 * Consumer of `detect-dlq`: a message whose retries are spent fails its job with the reason
 * (unless a result finished it meanwhile) and fires `job.failed`.
 */
export async function handleDetectDeadLetters(
  batch: MessageBatch<unknown>,
  ctx: HandlerContext,
): Promise<void> {
  const { db, env, logger } = ctx;
  for (const message of batch.messages) {
    const parsed = DeadMessageSchema.safeParse(message.body);
    if (!parsed.success) {
      logger.error("dead detect message without a job id dropped", { messageId: message.id });
      message.ack();
      continue;
    }
    const { jobId } = parsed.data;
    try {
      const [job] = await db
        .select({ attempts: jobs.attempts, error: jobs.error })
        .from(jobs)
        .where(eq(jobs.id, jobId));
      if (!job) {
        message.ack();
        continue;
      }
      const reason = `dead_lettered: no result after ${job.attempts} attempt(s); last error: ${job.error ?? "none reported"}`;
      const deliveryIds = await failJob(db, jobId, reason);
      if (deliveryIds) {
        logger.warn("job failed: detect message dead-lettered", { jobId, reason });
        await enqueueDeliveries(env.WEBHOOK_QUEUE, deliveryIds);
      }
      message.ack();
    } catch (error) {
      logger.error("dead letter not recorded; retrying", { jobId, error: errorMessage(error) });
      message.retry({ delaySeconds: retryDelaySeconds(message.attempts, 5, 300) });
    }
  }
}
