import { TrainEpochSchema, TrainMetricsSchema } from "@common/contracts/train-claim";
import { trainingStatus } from "@db/schema";
import { MODEL_NAME_PATTERN } from "@edge/models/names";
import { z } from "@hono/zod-openapi";
import { pageResponse } from "../pagination";

export const TrainingStatusSchema = z.enum(trainingStatus.enumValues);

const multipleOf32 = (what: string) =>
  z
    .number()
    .int()
    .min(64)
    .refine((value) => value % 32 === 0, `${what} must be a multiple of 32`);

export const CreateTrainingSchema = z
  .object({
    datasetId: z.uuid().openapi({ description: "A dataset version of yours" }),
    baseModel: z.string().min(1).max(80).openapi({
      description: "Fine-tune from one of your registry versions (`name@N`) or a shipped model's name",
      example: "weld-defects",
    }),
    name: z
      .string()
      .regex(MODEL_NAME_PATTERN, "1-64 lowercase letters, digits, dots, dashes or underscores")
      .openapi({
        description: "Registry name of the result: a successful run adds the next version `name@N`",
        example: "weld-finetuned",
      }),
    epochs: z
      .number()
      .int()
      .min(1)
      .default(10)
      .openapi({ description: "1 to TRAINING_MAX_EPOCHS; default 10" }),
    imgsz: multipleOf32("imgsz").optional().openapi({
      description:
        "Training input size (≤ TRAINING_MAX_IMGSZ); default: the base model's, which fine-tuning requires",
    }),
    tileSize: z
      .union([z.literal(0), multipleOf32("tileSize")])
      .optional()
      .openapi({
        description:
          "Films longer than this are cut into tiles of it (≤ TRAINING_MAX_TILE_SIZE); 0: never; default: tiles of `imgsz` film pixels for films the service would tile",
      }),
    seed: z
      .number()
      .int()
      .min(0)
      .max(2_147_483_647)
      .optional()
      .openapi({ description: "Training seed; default 0" }),
  })
  .strict()
  .openapi("CreateTraining");

export const TrainingSchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    status: TrainingStatusSchema,
    datasetId: z.uuid(),
    baseModel: z.string(),
    params: z.object({
      epochs: z.number().int(),
      imgsz: z.number().int().nullable(),
      tileSize: z.number().int().nullable(),
      batch: z.number().int(),
      seed: z.number().int(),
    }),
    attempts: z.number().int().openapi({ description: "Claims by a trainer so far" }),
    progress: z
      .array(TrainEpochSchema)
      .openapi({ description: "The current attempt's epochs: losses, val mAP, seconds" }),
    metrics: TrainMetricsSchema.nullable().openapi({
      description: "The best epoch's validation, once succeeded",
    }),
    error: z
      .object({ code: z.string(), message: z.string() })
      .nullable()
      .openapi({ description: "Why it failed, or the last retryable failure while it is retried" }),
    model: z
      .string()
      .nullable()
      .openapi({ description: "The registry version made (`name@N`), once succeeded" }),
    createdAt: z.iso.datetime(),
    startedAt: z.iso.datetime().nullable(),
    finishedAt: z.iso.datetime().nullable(),
    updatedAt: z.iso.datetime(),
  })
  .openapi("Training");

export const TrainingPageSchema = pageResponse(TrainingSchema, "TrainingPage");

export const TrainingIdParamSchema = z.object({
  id: z.uuid().openapi({ param: { name: "id", in: "path" } }),
});
