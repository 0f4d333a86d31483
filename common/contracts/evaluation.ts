import { z } from "zod";
import { DEFAULT_CONF } from "./detect-defaults";
import { DetectParamsSchema } from "./detect-message";
import { FailureSchema, ModelIdentitySchema } from "./detect-result";
import { ClaimedModelSchema } from "./job-claim";

/**
 * An evaluation: a new registry version and the model it would replace, each run on the dataset's
 * validation split through the inference service's own pipeline, scored with the same metrics.
 * The service claims it (`POST /internal/v1/evaluations/{id}/claim`, bearer
 * `INFERENCE_CALLBACK_TOKEN`), reports progress while it runs (`.../progress`, the heartbeat that
 * keeps a redelivered message from starting it twice) and posts the figures (`.../result`).
 */

/**
 * What an evaluation runs with: every detection above a low confidence, as Ultralytics' `val`
 * does, so AP sees the whole ranking; precision and recall are read at `threshold`, the
 * confidence jobs get by default.
 */
export const EVALUATION_PARAMS = {
  conf: 0.001,
  iou: 0.7,
  maxDet: 300,
  classes: null,
  tiling: "auto",
} as const;
export const EVALUATION_THRESHOLD = DEFAULT_CONF;

export const EvaluationClaimRequestSchema = z.object({
  version: z.literal(1),
  /** The queue's delivery attempt of the message, from 1. */
  attempt: z.number().int().min(1),
});
export type EvaluationClaimRequest = z.infer<typeof EvaluationClaimRequestSchema>;

/** One side of an evaluation: an owner's registry version (downloaded like a job's) or a shipped model. */
export const EvaluatedModelSchema = z.discriminatedUnion("source", [
  ClaimedModelSchema.extend({ source: z.literal("registry") }),
  z.object({ source: z.literal("shipped"), name: z.string().min(1) }),
]);
export type EvaluatedModel = z.infer<typeof EvaluatedModelSchema>;

const TruthBoxSchema = z.object({
  classId: z.number().int().min(0),
  x1: z.number(),
  y1: z.number(),
  x2: z.number(),
  y2: z.number(),
});

/** A validation image: a signed URL to its bytes, and its boxes (`classId` indexes `classes`). */
export const EvaluationItemSchema = z.object({
  key: z.string(),
  url: z.url(),
  urlExpiresAt: z.iso.datetime(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  boxes: z.array(TruthBoxSchema),
});
export type EvaluationItem = z.infer<typeof EvaluationItemSchema>;

export const EvaluationClaimSchema = z.discriminatedUnion("outcome", [
  z.object({
    outcome: z.literal("claimed"),
    /** Claims counted so far, this one included: the `attempt` its progress and result name. */
    attempts: z.number().int().min(1),
    evaluation: z.object({
      id: z.uuid(),
      datasetId: z.uuid(),
      /** The dataset's class names; a model's detections count for the class of the same name. */
      classes: z.array(z.string()),
      params: DetectParamsSchema,
      /** Confidence at which precision and recall are reported. */
      threshold: z.number().min(0).max(1),
      items: z.array(EvaluationItemSchema),
      candidate: EvaluatedModelSchema,
      baseline: EvaluatedModelSchema,
    }),
  }),
  /** Already finished (or the version was deleted): acknowledge the message. */
  z.object({ outcome: z.literal("finished") }),
  /** Another live attempt runs it (it reported progress lately): acknowledge this message. */
  z.object({ outcome: z.literal("busy") }),
]);
export type EvaluationClaim = z.infer<typeof EvaluationClaimSchema>;

/** Body of `POST /internal/v1/evaluations/{id}/progress`: the current attempt's heartbeat. */
export const EvaluationProgressSchema = z.object({
  version: z.literal(1),
  /** The claim's `attempts`. */
  attempt: z.number().int().min(1),
  done: z.number().int().min(0),
  total: z.number().int().min(0),
});
export type EvaluationProgress = z.infer<typeof EvaluationProgressSchema>;

/** `stop`: the attempt is no longer the current one (finished, or claimed again); give up. */
export const EvaluationProgressAnswerSchema = z.object({ outcome: z.enum(["continue", "stop"]) });
export type EvaluationProgressAnswer = z.infer<typeof EvaluationProgressAnswerSchema>;

/** AP and the operating point of one dataset class; null where the class has no boxes. */
export const ClassEvaluationSchema = z.object({
  classId: z.number().int().min(0),
  name: z.string(),
  truths: z.number().int().min(0),
  ap50: z.number().min(0).max(1).nullable(),
  ap50_95: z.number().min(0).max(1).nullable(),
  precision: z.number().min(0).max(1),
  recall: z.number().min(0).max(1).nullable(),
});
export type ClassEvaluation = z.infer<typeof ClassEvaluationSchema>;

/** One model's figures on the validation split. */
export const ModelEvaluationSchema = z.object({
  model: ModelIdentitySchema,
  map50: z.number().min(0).max(1),
  map50_95: z.number().min(0).max(1),
  /** Micro-averaged over classes at `threshold` and IoU 0.5. */
  precision: z.number().min(0).max(1),
  recall: z.number().min(0).max(1),
  perClass: z.array(ClassEvaluationSchema),
});
export type ModelEvaluation = z.infer<typeof ModelEvaluationSchema>;

/** Body of `POST /internal/v1/evaluations/{id}/result`; idempotent on the evaluation id. */
export const EvaluationResultSchema = z.discriminatedUnion("status", [
  z.object({
    version: z.literal(1),
    evaluationId: z.uuid(),
    status: z.literal("succeeded"),
    attempt: z.number().int().min(1),
    images: z.number().int().min(0),
    truths: z.number().int().min(0),
    threshold: z.number().min(0).max(1),
    candidate: ModelEvaluationSchema,
    baseline: ModelEvaluationSchema,
    seconds: z.number().min(0),
  }),
  z.object({
    version: z.literal(1),
    evaluationId: z.uuid(),
    status: z.literal("failed"),
    attempt: z.number().int().min(1),
    error: FailureSchema,
  }),
]);
export type EvaluationResult = z.infer<typeof EvaluationResultSchema>;

/**
 * What the edge did: `applied` (recorded), `duplicate` (already finished: the first result wins),
 * `recorded_retry` (a retryable failure kept while the message is tried again), `ignored` (a
 * stale attempt or a deleted version). All are 2xx; the service acknowledges on each.
 */
export const EvaluationResultAnswerSchema = z.object({
  outcome: z.enum(["applied", "duplicate", "recorded_retry", "ignored"]),
});
export type EvaluationResultAnswer = z.infer<typeof EvaluationResultAnswerSchema>;
