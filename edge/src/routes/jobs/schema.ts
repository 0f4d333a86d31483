import { z } from "@hono/zod-openapi";

const BoxSchema = z.object({ x1: z.number(), y1: z.number(), x2: z.number(), y2: z.number() });

export const DetectionSchema = z
  .object({
    classId: z.number().int(),
    label: z.string().openapi({ example: "porosity" }),
    score: z.number(),
    box: BoxSchema.openapi({ description: "Pixels of the original image, xyxy" }),
    boxNormalized: BoxSchema.openapi({ description: "The box divided by image width and height" }),
  })
  .openapi("Detection");

export const JobSchema = z
  .object({
    id: z.uuid(),
    status: z.enum(["queued", "running", "succeeded", "failed"]),
    image: z.object({ id: z.uuid(), width: z.number().int(), height: z.number().int() }),
    model: z.object({
      requested: z.string(),
      version: z.string().nullable().openapi({ description: "Set once inference has run" }),
      sha256: z.string().nullable(),
    }),
    params: z.object({
      conf: z.number(),
      iou: z.number(),
      maxDet: z.number().int(),
      classes: z.array(z.number().int()).nullable(),
    }),
    attempts: z.number().int(),
    error: z.string().nullable(),
    timings: z
      .record(z.string(), z.number())
      .nullable()
      .openapi({ description: "Per-stage inference time, ms" }),
    createdAt: z.iso.datetime(),
    startedAt: z.iso.datetime().nullable(),
    finishedAt: z.iso.datetime().nullable(),
    detections: z.array(DetectionSchema).optional(),
  })
  .openapi("Job");

export const CreateJobsSchema = z
  .object({
    imageId: z.uuid().optional(),
    imageIds: z.array(z.uuid()).min(1).max(10_000).optional().openapi({
      description: "Several images at once (at most MAX_IMAGES_PER_JOB_REQUEST, 100 by default)",
    }),
    model: z
      .string()
      .min(1)
      .max(100)
      .optional()
      .openapi({ description: "Defaults to the first configured model" }),
    conf: z.number().min(0).max(1).default(0.25),
    iou: z.number().min(0).max(1).default(0.45),
    maxDet: z.number().int().min(1).max(3000).default(300),
    classes: z.array(z.number().int().min(0)).max(1000).nullable().default(null),
  })
  .refine((body) => (body.imageId === undefined) !== (body.imageIds === undefined), {
    message: "give exactly one of imageId or imageIds",
    path: ["imageIds"],
  })
  .openapi("CreateJobs");

export const JobIdParamSchema = z.object({ id: z.uuid().openapi({ param: { name: "id", in: "path" } }) });
