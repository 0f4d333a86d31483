import { DEFAULT_CONF, DEFAULT_IOU } from "@common/contracts/detect-defaults";
import { DetectParamsSchema } from "@common/contracts/detect-message";
import { BoxSchema, DetectionSchema as ResultDetectionSchema } from "@common/contracts/detect-result";
import { DEFAULT_TILING, TilingSchema } from "@common/contracts/tiling";
import {
  ImagePixelSizeSchema,
  PixelSizeMmInputSchema,
  PixelSizeSchema,
  SizeMmSchema,
} from "@common/measurements";
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
  extent: ResultDetectionSchema.shape.extent.meta({
    description:
      "The indication's longest extent (`line`, its ends in pixels: the maximum Feret diameter, not the box's side or diagonal) and width across it, measured on the film at detection time; `method: box` when it did not stand out from its background and the box's sides stand in. Absent from results measured before",
  }),
  sizeMm: SizeMmSchema.nullable().meta({
    description:
      "On the part: the box's width, height and area (mm²), and the indication's length and breadth (its width across the length), measured when `measured` is true, else the longer and shorter box sides; null when the pixel size is unknown",
  }),
}).openapi("Detection");

export const JobSchema = z
  .object({
    id: z.uuid(),
    status: JobStatusSchema,
    image: z.object({
      id: z.uuid(),
      width: z.number().int(),
      height: z.number().int(),
      filename: z.string().nullable().openapi({ description: "The film's file name, as uploaded" }),
      weldId: z.string().nullable().openapi({ description: "The weld the film shows, set at upload" }),
      partId: z.string().nullable().openapi({ description: "The part the film shows, set at upload" }),
    }),
    model: z.object({
      requested: z.string(),
      version: z.string().nullable().openapi({ description: "Set once inference has run" }),
      sha256: z.string().nullable(),
      classes: z
        .array(z.string())
        .nullable()
        .openapi({
          description:
            "The model's class names by id (what reviewers may draw and relabel to); null until the result, or when the model did not report them",
          example: ["porosity", "crack", "slag_inclusion"],
        }),
    }),
    params: DetectParamsSchema.extend({ pixelSizeMm: PixelSizeSchema.optional() }),
    attempts: z.number().int(),
    error: z.string().nullable(),
    timings: z.record(z.string(), z.number()).nullable().openapi({
      description:
        "Per-stage inference time, ms (`tilingMs`, and `tiles`: the model inputs the image became)",
    }),
    pixelSizeMm: ImagePixelSizeSchema.nullable().meta({
      description: "mm per pixel the sizes use: the job's `pixelSizeMm`, else the image's; null when unknown",
    }),
    createdAt: z.iso.datetime(),
    startedAt: z.iso.datetime().nullable(),
    finishedAt: z.iso.datetime().nullable(),
    detections: z.array(DetectionSchema).optional(),
    review: z
      .object({ pending: z.number().int(), accepted: z.number().int(), rejected: z.number().int() })
      .optional()
      .openapi({
        description:
          "In `GET /v1/jobs`, for succeeded jobs: how many indications are pending, accepted, rejected",
      }),
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
    model: z.string().min(1).max(100).optional().openapi({
      description:
        "A shipped model (default: the first configured), one of your model versions (`name@N`), or your model's name, which runs its `production` version (fixed when the job is created)",
      example: "weld-defects",
    }),
    conf: DetectParamsSchema.shape.conf.default(DEFAULT_CONF),
    iou: DetectParamsSchema.shape.iou.default(DEFAULT_IOU),
    maxDet: DetectParamsSchema.shape.maxDet.default(300),
    classes: DetectParamsSchema.shape.classes.unwrap().max(1000).nullable().default(null),
    pixelSizeMm: PixelSizeMmInputSchema.optional().meta({
      description:
        "mm per pixel for this job's sizes (a number, or { x, y }), overriding the image's (DICONDE tags or upload)",
    }),
    tiling: TilingSchema.default(DEFAULT_TILING).meta({
      description:
        'How images larger than the model input are cut into overlapping tiles: "auto" (default: only images letterboxing would shrink more than the inference service\'s TILING_AUTO_MAX_SHRINK, at the model\'s resolution), "off", or { tileSize, overlap, wholeImage }',
    }),
  })
  .refine((body) => (body.imageId === undefined) !== (body.imageIds === undefined), {
    message: "give exactly one of imageId or imageIds",
    path: ["imageIds"],
  })
  .openapi("CreateJobs");

export const JobIdParamSchema = z.object({ id: z.uuid().openapi({ param: { name: "id", in: "path" } }) });
