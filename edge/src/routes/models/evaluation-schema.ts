import { ModelIdentitySchema } from "@common/contracts/detect-result";
import { z } from "@hono/zod-openapi";

const nullableShare = z.number().min(0).max(1).nullable();
const ClassSideSchema = z
  .object({ ap50: nullableShare, ap50_95: nullableShare, precision: z.number(), recall: nullableShare })
  .nullable();

export const EvaluationSchema = z
  .object({
    id: z.uuid(),
    status: z.enum(["queued", "running", "succeeded", "failed"]),
    candidate: z.object({ ref: z.string(), model: ModelIdentitySchema.nullable() }),
    baseline: z.object({
      source: z.enum(["registry", "shipped"]),
      ref: z.string().openapi({ description: "Your production version (`name@N`) or a shipped model" }),
      model: ModelIdentitySchema.nullable(),
    }),
    datasetId: z.uuid(),
    split: z.literal("val"),
    attempts: z.number().int(),
    error: z.object({ code: z.string(), message: z.string() }).nullable(),
    images: z.number().int().nullable(),
    truths: z.number().int().nullable(),
    threshold: z.number().nullable().openapi({ description: "Confidence of precision and recall" }),
    seconds: z.number().nullable(),
    table: z
      .object({
        metrics: z.array(
          z.object({
            metric: z.enum(["mAP@0.5", "mAP@0.5:0.95", "precision", "recall"]),
            candidate: z.number(),
            baseline: z.number(),
            delta: z.number().openapi({ description: "candidate − baseline" }),
          }),
        ),
        perClass: z.array(
          z.object({
            classId: z.number().int(),
            name: z.string(),
            truths: z.number().int(),
            candidate: ClassSideSchema,
            baseline: ClassSideSchema,
            ap50Delta: z.number().nullable(),
          }),
        ),
      })
      .nullable()
      .openapi({ description: "Side by side, once the evaluation succeeded" }),
    createdAt: z.iso.datetime(),
    finishedAt: z.iso.datetime().nullable(),
  })
  .openapi("ModelEvaluation");
