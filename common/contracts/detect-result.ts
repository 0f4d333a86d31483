import { z } from "zod";
import { SharedErrorCodeSchema } from "../errors";
import { ExtentSchema } from "../measurements";

export const BoxSchema = z.object({
  x1: z.number(),
  y1: z.number(),
  x2: z.number(),
  y2: z.number(),
});
export type Box = z.infer<typeof BoxSchema>;

/** One detection, box in original-image pixels (xyxy). */
export const DetectionSchema = z.object({
  classId: z.number().int().min(0),
  label: z.string(),
  score: z.number().min(0).max(1),
  box: BoxSchema,
  /**
   * The indication's own length and width, measured on the film's pixels in its box. Optional, so
   * results from builds before measurement still parse.
   */
  extent: ExtentSchema.optional(),
});
export type Detection = z.infer<typeof DetectionSchema>;

export const ModelIdentitySchema = z.object({
  name: z.string(),
  version: z.string(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  /**
   * Class names by id, from the model file. Reviewers draw and relabel from this list, so a film
   * with no detections still offers every class the model knows. Optional: results from builds
   * that did not send it still parse.
   */
  classes: z.array(z.string().min(1).max(200)).max(1000).optional(),
});
export type ModelIdentity = z.infer<typeof ModelIdentitySchema>;

/** Per-stage wall time in milliseconds (and the tile count). */
export const StageTimingsSchema = z.object({
  fetchMs: z.number().min(0),
  decodeMs: z.number().min(0),
  preprocessMs: z.number().min(0),
  runMs: z.number().min(0),
  postprocessMs: z.number().min(0),
  /**
   * Cutting the image into tiles and merging their boxes (`./tiling.ts`); 0 when it was not tiled.
   * Optional, as are `tiles`, so results from builds before tiling still parse.
   */
  tilingMs: z.number().min(0).optional(),
  /** Model inputs the image became: its tiles, plus one for a whole-image pass; 1 when not tiled. */
  tiles: z.number().int().min(1).optional(),
  totalMs: z.number().min(0),
});
export type StageTimings = z.infer<typeof StageTimingsSchema>;

/**
 * Why an attempt failed. Inference sends one of the shared codes (`common/errors.ts`), with the
 * `permanent` flag that goes with it. The schema still takes any other string, as before: the edge
 * stores `code: message` as text and acts only on `permanent`, so a callback from a sender on
 * another vocabulary (an older inference build during a rolling deploy, a test double) is
 * recorded rather than refused.
 */
export const FailureSchema = z.object({
  code: SharedErrorCodeSchema.or(z.string()),
  message: z.string(),
  permanent: z.boolean(),
});
export type Failure = z.infer<typeof FailureSchema>;

/**
 * Body of `POST /internal/v1/jobs/{jobId}/result` (version 1), sent by inference once per
 * attempt outcome. The edge treats it idempotently on `jobId`: the first terminal result wins.
 */
export const DetectResultSchema = z.discriminatedUnion("status", [
  z.object({
    version: z.literal(1),
    jobId: z.uuid(),
    status: z.literal("succeeded"),
    attempt: z.number().int().min(1),
    model: ModelIdentitySchema,
    image: z.object({ width: z.number().int().positive(), height: z.number().int().positive() }),
    detections: z.array(DetectionSchema),
    timings: StageTimingsSchema,
  }),
  z.object({
    version: z.literal(1),
    jobId: z.uuid(),
    status: z.literal("failed"),
    attempt: z.number().int().min(1),
    /** Permanent failures (undecodable image, unknown model) are not retried. */
    error: FailureSchema,
    model: ModelIdentitySchema.optional(),
  }),
]);
export type DetectResult = z.infer<typeof DetectResultSchema>;

/** What the edge did with a result callback; each is a 2xx, and inference acks the message on every one. */
export const RESULT_OUTCOMES = [
  "applied",
  "duplicate",
  "conflict_ignored",
  "recorded_retry",
  "ignored",
] as const;
export type ResultOutcome = (typeof RESULT_OUTCOMES)[number];

/** The edge's answer to `POST /internal/v1/jobs/{jobId}/result`. */
export const ResultAnswerSchema = z.object({ outcome: z.enum(RESULT_OUTCOMES) });
export type ResultAnswer = z.infer<typeof ResultAnswerSchema>;
