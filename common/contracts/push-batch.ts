import { z } from "zod";
import { DetectMessageSchema } from "./detect-message";

/**
 * Local development bridge: the Worker's queue handler posts each batch to the inference
 * service's `POST /v1/queue/push` and acks or retries every message by the answer.
 */
export const PushBatchSchema = z.object({
  messages: z
    .array(
      z.object({
        id: z.string().min(1),
        attempts: z.number().int().min(1),
        body: DetectMessageSchema,
      }),
    )
    .min(1),
});
export type PushBatch = z.infer<typeof PushBatchSchema>;

export const PushOutcomeSchema = z.object({
  id: z.string(),
  /** ack: the edge accepted the result (success or permanent failure); retry: try again later. */
  outcome: z.enum(["ack", "retry"]),
  reason: z.string().optional(),
});

export const PushResponseSchema = z.object({ results: z.array(PushOutcomeSchema) });
export type PushResponse = z.infer<typeof PushResponseSchema>;
