import type { PushBatch, PushResponse } from "@common/contracts/push-batch";
import type { MessageHandler } from "./pull-consumer";

/**
 * The local-development source: the Worker's queue handler posts a batch and acks or retries
 * each message by the answer. Messages run concurrently; the detector's queue bounds the work.
 */
export async function handlePushBatch(batch: PushBatch, handle: MessageHandler): Promise<PushResponse> {
  const results = await Promise.all(
    batch.messages.map(async (message) => {
      try {
        const outcome = await handle(message.body, message.attempts);
        return outcome.outcome === "ack"
          ? { id: message.id, outcome: "ack" as const }
          : { id: message.id, outcome: "retry" as const, reason: outcome.reason };
      } catch (error) {
        return { id: message.id, outcome: "retry" as const, reason: (error as Error).message };
      }
    }),
  );
  return { results };
}
