import { z } from "zod";
import { DetectMessageSchema } from "./detect-message";

/**
 * The job claim: before it fetches an image, the inference service claims the job from the edge
 * (`POST /internal/v1/jobs/{jobId}/claim`, bearer `INFERENCE_CALLBACK_TOKEN`). The edge marks the job `running`,
 * counts the attempt and answers with what to run — the job's parameters and a freshly signed
 * image URL, so a message that waited past its URL's lifetime still runs — or says the job is
 * already finished (or deleted), in which case the message is simply acknowledged. Every job
 * source (pull in production, push locally) goes through it: one lifecycle wherever a job runs.
 */
export const JobClaimRequestSchema = z.object({
  version: z.literal(1),
  /** The queue's delivery attempt of this message, from 1. */
  attempt: z.number().int().min(1),
});
export type JobClaimRequest = z.infer<typeof JobClaimRequestSchema>;

/**
 * The owner's registry model version a job runs (its `model` is `name@N`): the file to download
 * by a freshly signed URL, and the size and sha256 to check it against. Only ever the job owner's.
 */
export const ClaimedModelSchema = z.object({
  name: z.string().min(1),
  version: z.number().int().min(1),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  bytes: z.number().int().positive(),
  url: z.url(),
  urlExpiresAt: z.iso.datetime(),
});
export type ClaimedModel = z.infer<typeof ClaimedModelSchema>;

export const JobClaimSchema = z.discriminatedUnion("outcome", [
  z.object({
    outcome: z.literal("claimed"),
    /** Attempts the edge has counted for the job, this one included. */
    attempts: z.number().int().min(1),
    /** The job as a queue message would carry it now: current parameters, a fresh image URL. */
    job: DetectMessageSchema,
    /**
     * Present when the job runs a registry version rather than a shipped model. Optional, so a
     * service from before the registry still reads claims (and refuses `name@N` as unknown).
     */
    registryModel: ClaimedModelSchema.optional(),
    /**
     * Present when the job was picked for a shadow run (`./shadow-result.ts`): after the job's own
     * result the service also runs this version on the image and reports it apart. Optional, so
     * an older service simply runs the job alone.
     */
    shadowModel: ClaimedModelSchema.optional(),
  }),
  z.object({ outcome: z.literal("finished") }),
]);
export type JobClaim = z.infer<typeof JobClaimSchema>;
