import { BoxSchema, DetectionSchema as ResultDetectionSchema } from "@common/contracts/detect-result";
import { reviewAction, reviewDecision } from "@db/schema";
import { z } from "@hono/zod-openapi";
import { pageResponse } from "../pagination";

/**
 * Shapes of the review API. Class, label and box are the detection contract's; decisions and
 * actions are the database's enums, so every concept is defined once.
 */

export const ReviewDecisionSchema = z.enum(reviewDecision.enumValues);
export const DetectionSetSchema = z.enum(["model", "reviewed"]).openapi("DetectionSet", {
  description:
    "`model`: the model's output as it came. `reviewed`: the reviewed set: every indication not rejected, with the reviewer's label and box, boxes drawn by reviewers included.",
});
export type DetectionSet = z.infer<typeof DetectionSetSchema>;

const { classId, label, score } = ResultDetectionSchema.shape;
const pixelBox = BoxSchema.meta({ description: "Pixels of the original image, xyxy" });

/** What the audit log records of an indication before and after a change. */
export const ReviewedStateSchema = z
  .object({ decision: ReviewDecisionSchema, classId, label, box: pixelBox, note: z.string().nullable() })
  .openapi("ReviewedState");

export const ReviewedDetectionSchema = z
  .object({
    id: z.uuid().openapi({ description: "Refers to this indication in review actions" }),
    source: z.enum(["model", "reviewer"]).openapi({ description: "`reviewer`: drawn by a reviewer" }),
    decision: ReviewDecisionSchema,
    classId,
    label,
    box: pixelBox,
    boxNormalized: BoxSchema.meta({ description: "The box divided by image width and height" }),
    score: score.nullable().meta({ description: "The model's score; null for a drawn box" }),
    note: z.string().nullable(),
    original: ResultDetectionSchema.nullable().meta({
      description: "The model's output for this indication, unchanged; null for a drawn box",
    }),
    updatedAt: z.iso.datetime().nullable().openapi({ description: "Last review change; null if never" }),
    updatedBy: z.uuid().nullable(),
  })
  .openapi("ReviewedDetection");

export const JobReviewSchema = z
  .object({
    jobId: z.uuid(),
    version: z.number().int().openapi({
      description: 'Review version; also the `ETag` (`"<version>"`) to send as `If-Match`',
    }),
    image: z.object({ id: z.uuid(), width: z.number().int(), height: z.number().int() }),
    counts: z.object({
      pending: z.number().int(),
      accepted: z.number().int(),
      rejected: z.number().int(),
    }),
    items: z
      .array(ReviewedDetectionSchema)
      .openapi({ description: "Model detections by rank, then drawn boxes" }),
  })
  .openapi("JobReview");

/**
 * A box a reviewer sends: stored in `real` (float32) columns, so its edges are compared as they
 * will be stored. 300.000001 and 300.000002 differ as float64 but are both 300 in float32, which
 * the table's `x1 < x2` check would refuse. The image bounds are checked with the job's image.
 */
const reviewBox = pixelBox.refine(
  (box) => Math.fround(box.x1) < Math.fround(box.x2) && Math.fround(box.y1) < Math.fround(box.y2),
  { message: "x1 < x2 and y1 < y2 must hold in 32-bit floats, as the box is stored" },
);

const itemId = z.uuid().openapi({ description: "`id` of an indication of this job's review" });
const note = z.string().trim().min(1).max(10_000).nullable();

export const ReviewActionSchema = z
  .discriminatedUnion("type", [
    z.object({ type: z.literal("accept"), itemId }),
    z.object({ type: z.literal("reject"), itemId }),
    z.object({ type: z.literal("relabel"), itemId, classId, label: label.trim().min(1).max(100) }),
    z.object({ type: z.literal("resize"), itemId, box: reviewBox }),
    z.object({
      type: z.literal("add"),
      classId,
      label: label.trim().min(1).max(100),
      box: reviewBox,
      note: note.optional(),
    }),
    z.object({ type: z.literal("note"), itemId, note }),
    z.object({ type: z.literal("reset"), itemId }),
    z.object({
      type: z.literal("accept-pending"),
      minScore: score.meta({
        description: "Accept every pending model detection scored at or above this (0-1)",
        example: 0.8,
      }),
    }),
  ])
  .openapi("ReviewAction", {
    description: [
      "`accept` / `reject` set the decision; `reset` puts it back to pending (undoing a decision).",
      "`relabel`, `resize` and `add` (a missed defect) also accept the indication. `note` sets or",
      "clears (null) its note and leaves the decision. `accept-pending` accepts, at once, every model",
      "detection still pending whose score is at least `minScore` (each recorded as an `accept`).",
      "When the job's model reported its classes (`model.classes` of the job), `relabel` and `add`",
      "must name one of them: `label` equal to `classes[classId]`.",
    ].join(" "),
  });
export type ReviewAction = z.infer<typeof ReviewActionSchema>;

export const ReviewActionsSchema = z
  .object({
    actions: z.array(ReviewActionSchema).min(1).openapi({
      description: "Applied in order, all or none (at most REVIEW_MAX_ACTIONS_PER_REQUEST)",
    }),
  })
  .openapi("ReviewActions");

export const ReviewActionsResultSchema = JobReviewSchema.extend({
  added: z.array(z.uuid()).openapi({ description: "Ids of the boxes this request drew, in order" }),
}).openapi("ReviewActionsResult");

export const ReviewEventSchema = z
  .object({
    id: z.uuid(),
    version: z.number().int().openapi({ description: "The review version this change produced" }),
    action: z.enum(reviewAction.enumValues),
    itemId: z.uuid(),
    actor: z.object({
      userId: z.uuid().nullable(),
      email: z.string().nullable().openapi({ description: "Null once the user is deleted" }),
      apiKeyId: z.uuid().nullable().openapi({ description: "Set when the change came with an API key" }),
    }),
    at: z.iso.datetime(),
    before: ReviewedStateSchema.nullable().openapi({ description: "Null for `add`" }),
    after: ReviewedStateSchema,
  })
  .openapi("ReviewEvent");

export const ReviewEventPageSchema = pageResponse(ReviewEventSchema, "ReviewEventPage");

/** `If-Match` carries the review's ETag as `GET .../review` sent it. */
export const IfMatchHeaderSchema = z.object({
  "if-match": z.string().optional().openapi({
    description:
      "The review's current `ETag`, a list of tags containing it, or `*`; strong comparison (RFC 9110 §13.1.1). Required (428 without it, 412 when stale)",
  }),
});

export const etagOf = (version: number) => `"${version}"`;
