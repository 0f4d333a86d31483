import { errorMessage } from "@common/logger";
import { retryDelaySeconds } from "@common/retry";
import { trainings } from "@db/schema";
import { publishTraining } from "@edge/trainings/events";
import { failTraining } from "@edge/trainings/finish";
import { eq } from "drizzle-orm";
import { z } from "zod";
import type { HandlerContext } from "./context";

/** Only the run id matters here; the rest of a dead message may be unreadable. */
const DeadMessageSchema = z.object({ trainingId: z.uuid() });

/**
 * Consumer of `train-dlq`: a `train` message whose retries are spent fails its run (unless it
 * finished or was cancelled meanwhile) with `dead_lettered` and the last error a trainer reported,
 * so no run is left queued or running with nothing left to deliver it.
 */
export async function handleTrainDeadLetters(
  batch: MessageBatch<unknown>,
  ctx: HandlerContext,
): Promise<void> {
  const { db, env, logger } = ctx;
  for (const message of batch.messages) {
    const parsed = DeadMessageSchema.safeParse(message.body);
    if (!parsed.success) {
      logger.error("dead train message without a run id dropped", { messageId: message.id });
      message.ack();
      continue;
    }
    const { trainingId } = parsed.data;
    try {
      const [run] = await db
        .select({ attempts: trainings.attempts, errorCode: trainings.errorCode, error: trainings.error })
        .from(trainings)
        .where(eq(trainings.id, trainingId));
      if (run) {
        const last = run.errorCode ? `${run.errorCode}: ${run.error ?? ""}` : "none reported";
        const reason = `no trainer finished the run after ${run.attempts} attempt(s); last error: ${last}`;
        const failed = await failTraining(db, trainingId, null, "dead_lettered", reason);
        if (failed) {
          logger.warn("training failed: train message dead-lettered", { trainingId, reason });
          await publishTraining(env, failed, logger);
        }
      }
      message.ack();
    } catch (error) {
      logger.error("train dead letter not recorded; retrying", { trainingId, error: errorMessage(error) });
      message.retry({ delaySeconds: retryDelaySeconds(message.attempts, 5, 300) });
    }
  }
}
