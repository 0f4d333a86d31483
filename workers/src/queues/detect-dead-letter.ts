import { errorMessage } from "@common/logger";
import { retryDelaySeconds } from "@common/retry";
import { jobs } from "@db/schema";
import { deadEvaluationId, handleDeadEvaluation } from "@edge/evaluations/dead-letter";
import { announceFinished, DEAD_LETTERED, failJob } from "@edge/jobs/complete";
import { writeJobPoint } from "@edge/metrics/analytics";
import { and, eq, inArray, sql } from "drizzle-orm";
import { z } from "zod";
import type { HandlerContext } from "./context";

/** Only the job id matters here; the rest of a dead message may be unreadable. */
const DeadMessageSchema = z.object({ jobId: z.uuid() });

/**
 * Consumer of `detect-dlq`. A message whose retries are spent fails its job with the reason
 * (unless a result finished it meanwhile) and fires `job.failed`, but only when inference did
 * report a failure of the job itself (an image it could not use, a model error). When nothing
 * was ever reported, every attempt was lost to an unreachable or overloaded inference service
 * or edge: failing the job would lose accepted work, so it goes back to `queued` and the sweeper
 * re-enqueues it after `JOB_STUCK_AFTER_SECONDS`.
 */
export async function handleDetectDeadLetters(
  batch: MessageBatch<unknown>,
  ctx: HandlerContext,
): Promise<void> {
  const { db, env, logger } = ctx;
  for (const message of batch.messages) {
    const evaluationId = deadEvaluationId(message.body);
    if (evaluationId !== null) {
      try {
        const outcome = await handleDeadEvaluation(db, evaluationId);
        logger.warn("evaluate message dead-lettered", { evaluationId, outcome });
        message.ack();
      } catch (error) {
        logger.error("dead letter not recorded; retrying", { evaluationId, error: errorMessage(error) });
        message.retry({ delaySeconds: retryDelaySeconds(message.attempts, 5, 300) });
      }
      continue;
    }
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
      if (job.error === null) {
        await db
          .update(jobs)
          .set({ status: "queued", updatedAt: sql`now()` })
          .where(and(eq(jobs.id, jobId), inArray(jobs.status, ["queued", "running"])));
        logger.warn(
          "detect message dead-lettered without a reported failure; the sweeper re-enqueues the job",
          {
            jobId,
            attempts: job.attempts,
          },
        );
        message.ack();
        continue;
      }
      const reason = `${DEAD_LETTERED}: no result after ${job.attempts} attempt(s); last error: ${job.error ?? "none reported"}`;
      const finished = await failJob(db, jobId, reason);
      if (finished) {
        logger.warn("job failed: detect message dead-lettered", { jobId, reason });
        writeJobPoint(env.METRICS, finished.event.job, "dead_letter", logger);
        await announceFinished(env, finished, logger);
      }
      message.ack();
    } catch (error) {
      logger.error("dead letter not recorded; retrying", { jobId, error: errorMessage(error) });
      message.retry({ delaySeconds: retryDelaySeconds(message.attempts, 5, 300) });
    }
  }
}
