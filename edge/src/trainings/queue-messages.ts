import { type TrainMessage, TrainMessageSchema } from "@common/contracts/train-message";

/** The versioned `train` message of a run. */
export function trainMessage(run: { id: string; traceparent: string | null }): TrainMessage {
  return TrainMessageSchema.parse({
    version: 1,
    trainingId: run.id,
    traceparent: run.traceparent ?? "",
    enqueuedAt: new Date().toISOString(),
  });
}

/** Sends as JSON: the trainer reads it through the HTTP pull API, which cannot read V8 bodies. */
export async function enqueueTrain(queue: Queue<unknown>, messages: TrainMessage[]): Promise<void> {
  if (messages.length === 0) return;
  await queue.sendBatch(messages.map((body) => ({ body, contentType: "json" as const })));
}
