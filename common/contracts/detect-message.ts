import { z } from "zod";
import { MAX_DETECTIONS_PER_IMAGE } from "../limits";
import { TilingSchema } from "./tiling";

/**
 * Contracts between the edge and the inference service. Both sides import these schemas; every
 * payload carries `version` so either side can refuse a shape it does not know.
 */

export const DetectParamsSchema = z.object({
  conf: z.number().min(0).max(1),
  iou: z.number().min(0).max(1),
  maxDet: z.number().int().min(1).max(MAX_DETECTIONS_PER_IMAGE),
  /** Only these class ids are kept; null keeps every class. */
  classes: z.array(z.number().int().min(0)).nullable(),
  /**
   * How large images are cut into tiles (`./tiling.ts`); absent means `auto` (`DEFAULT_TILING`), so
   * messages and jobs from before tiling existed keep their meaning.
   */
  tiling: TilingSchema.optional(),
});
export type DetectParams = z.infer<typeof DetectParamsSchema>;

/**
 * Body of a job's message on the `detect` queue (version 1). `kind` tells it from the queue's
 * other kinds of work (`QueueMessageSchema`); absent means `detect`, so messages from before kinds
 * existed keep their meaning, and an older service still reads a job message that names it.
 */
export const DetectMessageSchema = z.object({
  version: z.literal(1),
  kind: z.literal("detect").optional(),
  jobId: z.uuid(),
  image: z.object({
    id: z.uuid(),
    /** Short-lived signed URL to the original bytes; the job claim answers with a fresh one. */
    url: z.url(),
    urlExpiresAt: z.iso.datetime(),
    width: z.number().int().positive(),
    height: z.number().int().positive(),
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
  }),
  model: z.string().min(1),
  params: DetectParamsSchema,
  /** W3C traceparent of the request that created the job. */
  traceparent: z.string(),
  enqueuedAt: z.iso.datetime(),
});
export type DetectMessage = z.infer<typeof DetectMessageSchema>;

/**
 * An evaluation of a registry version on the `detect` queue (version 1). Like a training message it
 * names the work only: the service claims it (`./evaluation.ts`) and gets the validation items and
 * both models from the answer, with freshly signed URLs.
 */
export const EvaluateMessageSchema = z.object({
  version: z.literal(1),
  kind: z.literal("evaluate"),
  evaluationId: z.uuid(),
  /** W3C traceparent of the request that created the version. */
  traceparent: z.string(),
  enqueuedAt: z.iso.datetime(),
});
export type EvaluateMessage = z.infer<typeof EvaluateMessageSchema>;

/**
 * Everything the `detect` queue carries, told apart by `kind`. Evaluations share the queue with
 * jobs because they run on the same service, models and pipeline, pulled by the same consumer
 * with the same retries and dead-letter queue.
 */
export const QueueMessageSchema = z.discriminatedUnion("kind", [DetectMessageSchema, EvaluateMessageSchema]);
export type QueueMessage = z.infer<typeof QueueMessageSchema>;
