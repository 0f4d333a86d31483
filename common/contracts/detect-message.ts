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

/** Body of a message on the `detect` queue (version 1). */
export const DetectMessageSchema = z.object({
  version: z.literal(1),
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
