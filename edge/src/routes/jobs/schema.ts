import { DetectParamsSchema } from "@common/contracts/detect-message";
import { BoxSchema, DetectionSchema as ResultDetectionSchema } from "@common/contracts/detect-result";
import { jobStatus } from "@db/schema";
import { z } from "@hono/zod-openapi";
import { pageResponse } from "../pagination";

/**
 * The public API's shapes derive from the contracts the services exchange and from the database
 * schema, so a detection, a job's parameters and its status are defined once.
 */

/** A job's status, as the database enumerates it. */
export const JobStatusSchema = z.enum(jobStatus.enumValues);

/**
 * A detection as inference reported it, plus its box normalised to the image size. The contract's
 * schemas are plain zod, possibly built before `@hono/zod-openapi` added `.openapi()`, so their
 * documentation is attached with zod's own `.meta()`, which the OpenAPI generator reads too.
 */
export const DetectionSchema = ResultDetectionSchema.extend({
  label: ResultDetectionSchema.shape.label.meta({ example: "porosity" }),
  box: BoxSchema.meta({ description: "Pixels of the original image, xyxy" }),
  boxNormalized: BoxSchema.meta({ description: "The box divided by image width and height" }),
}).openapi("Detection");

export const JobSchema = z
  .object({
    id: z.uuid(),
    status: JobStatusSchema,
    image: z.object({ id: z.uuid(), width: z.number().int(), height: z.number().int() }),
    model: z.object({
      requested: z.string(),
      version: z.string().nullable().openapi({ description: "Set once inference has run" }),
      sha256: z.string().nullable(),
    }),
    params: DetectParamsSchema,
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

/** The answer to `POST /v1/jobs`: one queued job per image. */
export const QueuedJobsSchema = z.object({ jobs: z.array(JobSchema) }).openapi("QueuedJobs");

/** A page of `GET /v1/jobs`, newest first, without detections. */
export const JobPageSchema = pageResponse(JobSchema, "JobPage");

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
    conf: DetectParamsSchema.shape.conf.default(0.25),
    iou: DetectParamsSchema.shape.iou.default(0.45),
    maxDet: DetectParamsSchema.shape.maxDet.default(300),
    classes: DetectParamsSchema.shape.classes.unwrap().max(1000).nullable().default(null),
  })
  .refine((body) => (body.imageId === undefined) !== (body.imageIds === undefined), {
    message: "give exactly one of imageId or imageIds",
    path: ["imageIds"],
  })
  .openapi("CreateJobs");

export const JobIdParamSchema = z.object({ id: z.uuid().openapi({ param: { name: "id", in: "path" } }) });
