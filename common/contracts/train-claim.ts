import { z } from "zod";
import { TrainErrorCodeSchema } from "./train-errors";

/**
 * The trainer's calls to the edge (`/internal/v1/trainings/{id}/...`, bearer
 * `TRAINER_CALLBACK_TOKEN`), the same lifecycle as a detect job's:
 * 1. `claim`: the run becomes `running` under a new attempt number, and the answer carries its
 *    parameters, dataset description and base model; a finished or cancelled run answers
 *    `finished`, a run another live attempt holds answers `busy` (both: ack the message).
 * 2. `items` (paged): the dataset's images with presigned read URLs and their boxes.
 * 3. `progress` after each epoch: answered `stop` when the run was cancelled or the attempt is
 *    stale (a newer claim holds the run), so the trainer stops at its next report.
 * 4. `upload`: a signed, single-use upload URL of the registry for the exported ONNX file.
 * 5. `finish`: success (the upload is verified and becomes a registry version with lineage and
 *    metrics) or failure with a code. Reports of a stale attempt change nothing.
 * Every body carries `version` and the claim's `attempt`.
 */

export const TrainClaimRequestSchema = z.object({
  version: z.literal(1),
  /** The queue's delivery attempt of this message, from 1 (logged; the edge counts its own). */
  delivery: z.number().int().min(1),
});
export type TrainClaimRequest = z.infer<typeof TrainClaimRequestSchema>;

/** Where the base model's weights come from. */
export const TrainBaseSchema = z.discriminatedUnion("kind", [
  /** A model the trainer has in its own models folder (the inference service's shipped ones). */
  z.object({ kind: z.literal("shipped"), name: z.string().min(1) }),
  /** A registry version of the run's owner: its ONNX file by presigned URL. */
  z.object({
    kind: z.literal("registry"),
    name: z.string().min(1),
    version: z.number().int().min(1),
    url: z.url(),
    urlExpiresAt: z.iso.datetime(),
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
    bytes: z.number().int().positive(),
  }),
]);
export type TrainBase = z.infer<typeof TrainBaseSchema>;

export const TrainParamsSchema = z.object({
  epochs: z.number().int().min(1),
  /** Training input size; null: the base model's. */
  imgsz: z.number().int().min(32).nullable(),
  /** Films longer than this are cut into tiles of it; null: `auto` (the trainer's default). */
  tileSize: z.number().int().min(0).nullable(),
  batch: z.number().int().min(1),
  seed: z.number().int().min(0),
});
export type TrainParams = z.infer<typeof TrainParamsSchema>;

export const TrainSpecSchema = z.object({
  id: z.uuid(),
  /** Registry name of the model the run makes (`name@N` once it succeeds). */
  name: z.string().min(1),
  params: TrainParamsSchema,
  dataset: z.object({
    id: z.uuid(),
    name: z.string(),
    version: z.number().int(),
    classes: z.array(z.string()).min(1),
    images: z.object({ train: z.number().int(), val: z.number().int() }),
  }),
  base: TrainBaseSchema,
  traceparent: z.string(),
});
export type TrainSpec = z.infer<typeof TrainSpecSchema>;

export const TrainClaimSchema = z.discriminatedUnion("outcome", [
  z.object({
    outcome: z.literal("claimed"),
    /** This claim's attempt: every later report names it; an older one is stale. */
    attempt: z.number().int().min(1),
    training: TrainSpecSchema,
  }),
  /** Succeeded, failed, cancelled or deleted: nothing to do, ack the message. */
  z.object({ outcome: z.literal("finished") }),
  /** Another attempt holds the run and reports progress: ack this (duplicate) message. */
  z.object({ outcome: z.literal("busy") }),
]);
export type TrainClaim = z.infer<typeof TrainClaimSchema>;

/** One box in image pixels; `classId` indexes the dataset's `classes`. */
export const TrainBoxSchema = z.object({
  classId: z.number().int().min(0),
  x1: z.number(),
  y1: z.number(),
  x2: z.number(),
  y2: z.number(),
});

export const TrainItemSchema = z.object({
  key: z.string().min(1),
  split: z.enum(["train", "val"]),
  url: z.url(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  format: z.string(),
  width: z.number().int().positive(),
  height: z.number().int().positive(),
  boxes: z.array(TrainBoxSchema),
});
export type TrainItem = z.infer<typeof TrainItemSchema>;

/** `GET .../items?attempt=&cursor=&limit=`: a page of the dataset, URLs signed now. */
export const TrainItemPageSchema = z.object({
  items: z.array(TrainItemSchema),
  nextCursor: z.uuid().nullable(),
});
export type TrainItemPage = z.infer<typeof TrainItemPageSchema>;

/** What one epoch reports; the public API shows the same list. */
export const TrainEpochSchema = z.object({
  /** From 1. */
  epoch: z.number().int().min(1),
  epochs: z.number().int().min(1),
  losses: z.object({ box: z.number(), cls: z.number(), dfl: z.number() }),
  val: z.object({ map50: z.number().min(0).max(1), map50_95: z.number().min(0).max(1) }),
  seconds: z.number().min(0),
});
export type TrainEpoch = z.infer<typeof TrainEpochSchema>;

export const TrainProgressRequestSchema = TrainEpochSchema.extend({
  version: z.literal(1),
  attempt: z.number().int().min(1),
});
export type TrainProgressRequest = z.infer<typeof TrainProgressRequestSchema>;

/** Why the trainer must stop: the run was cancelled or finished, or a newer attempt holds it. */
export const StopReasonSchema = z.enum(["cancelled", "finished", "stale"]);

export const TrainProgressAnswerSchema = z.discriminatedUnion("outcome", [
  z.object({ outcome: z.literal("continue") }),
  z.object({ outcome: z.literal("stop"), reason: StopReasonSchema }),
]);
export type TrainProgressAnswer = z.infer<typeof TrainProgressAnswerSchema>;

export const TrainUploadRequestSchema = z.object({
  version: z.literal(1),
  attempt: z.number().int().min(1),
  bytes: z.number().int().positive(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
});
export type TrainUploadRequest = z.infer<typeof TrainUploadRequestSchema>;

export const TrainUploadAnswerSchema = z.discriminatedUnion("outcome", [
  z.object({
    outcome: z.literal("upload"),
    uploadId: z.uuid(),
    /** PUT the file's bytes here, with `headers`, before `expiresAt`. */
    url: z.url(),
    method: z.literal("PUT"),
    headers: z.record(z.string(), z.string()),
    expiresAt: z.iso.datetime(),
  }),
  z.object({ outcome: z.literal("stop"), reason: StopReasonSchema }),
]);
export type TrainUploadAnswer = z.infer<typeof TrainUploadAnswerSchema>;

/** The run's figures kept with the registry version: the best epoch's validation. */
export const TrainMetricsSchema = z.object({
  val: z.object({ map50: z.number().min(0).max(1), map50_95: z.number().min(0).max(1) }),
  bestEpoch: z.number().int().min(1),
  epochs: z.number().int().min(1),
  seconds: z.number().min(0),
});
export type TrainMetrics = z.infer<typeof TrainMetricsSchema>;

export const TrainFinishRequestSchema = z.discriminatedUnion("status", [
  z.object({
    version: z.literal(1),
    attempt: z.number().int().min(1),
    status: z.literal("succeeded"),
    /** The upload the model file was PUT to, and the file's size and sha256, which the edge verifies. */
    uploadId: z.uuid(),
    bytes: z.number().int().positive(),
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
    metrics: TrainMetricsSchema,
  }),
  z.object({
    version: z.literal(1),
    attempt: z.number().int().min(1),
    status: z.literal("failed"),
    error: z.object({
      code: TrainErrorCodeSchema,
      message: z.string().max(2000),
      /** Permanent: the run fails now; otherwise it is queued again for the message's redelivery. */
      permanent: z.boolean(),
    }),
  }),
]);
export type TrainFinishRequest = z.infer<typeof TrainFinishRequestSchema>;

export const TrainFinishAnswerSchema = z.discriminatedUnion("outcome", [
  /** Recorded: `succeeded` with the registry version made, `failed`, or `queued` again (retryable). */
  z.object({
    outcome: z.literal("recorded"),
    status: z.enum(["succeeded", "failed", "queued"]),
    model: z.string().nullable(),
  }),
  /** Nothing changed: the run was finished or cancelled, or a newer attempt holds it. Ack. */
  z.object({ outcome: z.literal("ignored"), reason: StopReasonSchema }),
]);
export type TrainFinishAnswer = z.infer<typeof TrainFinishAnswerSchema>;
