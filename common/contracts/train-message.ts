import { z } from "zod";

/**
 * Body of a message on the `train` queue (version 1). It names the run only: the trainer claims
 * it (`./train-claim.ts`) and gets the parameters, dataset and base model from the answer, so a
 * message that waited for hours still trains what the run says now.
 */
export const TrainMessageSchema = z.object({
  version: z.literal(1),
  trainingId: z.uuid(),
  /** W3C traceparent of the request that created the run. */
  traceparent: z.string(),
  enqueuedAt: z.iso.datetime(),
});
export type TrainMessage = z.infer<typeof TrainMessageSchema>;
