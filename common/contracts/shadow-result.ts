import { z } from "zod";
import { DetectionSchema, FailureSchema, ModelIdentitySchema } from "./detect-result";

/**
 * Body of `POST /internal/v1/jobs/{jobId}/shadow-result` (version 1): what the shadow model (the
 * claim's `shadowModel`) found on the job's image, sent after the job's own result. The edge keeps
 * it apart from the job (never its result, never in exports) and measures its agreement with the
 * job's detections. Idempotent on the job id: the first report wins.
 */
export const ShadowResultSchema = z.discriminatedUnion("status", [
  z.object({
    version: z.literal(1),
    jobId: z.uuid(),
    status: z.literal("succeeded"),
    model: ModelIdentitySchema,
    detections: z.array(DetectionSchema),
    runMs: z.number().min(0),
  }),
  z.object({
    version: z.literal(1),
    jobId: z.uuid(),
    status: z.literal("failed"),
    error: FailureSchema,
  }),
]);
export type ShadowResult = z.infer<typeof ShadowResultSchema>;

/** `applied`, or `ignored`: not picked for shadow, already reported, or the job has no result. */
export const ShadowResultAnswerSchema = z.object({ outcome: z.enum(["applied", "ignored"]) });
export type ShadowResultAnswer = z.infer<typeof ShadowResultAnswerSchema>;
