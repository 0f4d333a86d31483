import { datasetSource, datasetSplit, imageFormat } from "@db/schema";
import { z } from "@hono/zod-openapi";
import { pageResponse } from "../pagination";

export const DatasetSplitSchema = z.enum(datasetSplit.enumValues);
export const DatasetSourceSchema = z.enum(datasetSource.enumValues);

const NameSchema = z.string().trim().min(1).max(100);
const SeedSchema = z
  .string()
  .trim()
  .min(1)
  .max(64)
  .openapi({ description: "Decides, with each image's content hash, its split; random when left out" });
const ValFractionSchema = z
  .number()
  .min(0)
  .max(0.9)
  .openapi({ description: "Share of images (by hash, not exactly) put in `val`; default 0.2" });

export const JobFilterSchema = z
  .object({
    status: z
      .literal("succeeded")
      .default("succeeded")
      .openapi({ description: "Only succeeded jobs have reviews" }),
    reviewed: z.boolean().default(true).openapi({ description: "Only jobs someone has reviewed (default)" }),
    since: z.iso.datetime({ offset: true }).optional().openapi({ description: "Finished at or after" }),
    until: z.iso.datetime({ offset: true }).optional().openapi({ description: "Finished at or before" }),
    model: z.string().min(1).max(100).optional().openapi({ description: "Jobs of this model only" }),
  })
  .strict()
  .openapi("DatasetJobFilter");

export const CreateDatasetSchema = z
  .object({
    name: NameSchema.optional().openapi({
      description: "Required for a new dataset; defaults to the parent's",
    }),
    from: z.uuid().optional().openapi({
      description: "A version of yours to build on: its images, keys, classes, seed and splits are kept",
    }),
    fromJobs: z.union([z.array(z.uuid()).min(1).max(10_000), JobFilterSchema]).openapi({
      description: "Succeeded jobs by id (at most DATASET_MAX_JOBS), or a filter over yours",
    }),
    seed: SeedSchema.optional(),
    valFraction: ValFractionSchema.optional(),
  })
  .strict()
  .superRefine((body, ctx) => {
    if (!body.from && !body.name)
      ctx.addIssue({ code: "custom", path: ["name"], message: "required without `from`" });
    if (body.from && (body.seed !== undefined || body.valFraction !== undefined)) {
      ctx.addIssue({
        code: "custom",
        path: [body.seed !== undefined ? "seed" : "valFraction"],
        message: "a new version keeps its parent's split; leave seed and valFraction out",
      });
    }
  })
  .openapi("CreateDataset");

export const ImportQuerySchema = z.object({
  name: NameSchema.optional().openapi({ description: "The dataset's name (required for an archive)" }),
  format: z.enum(["yolo", "coco"]).optional().openapi({
    description:
      "The archive's layout; found from its files when left out (`data.yaml`: YOLO, one `.json`: COCO)",
  }),
  seed: SeedSchema.optional(),
  valFraction: z.coerce.number().pipe(ValFractionSchema).optional(),
});

const CountsSchema = z.object({ train: z.number().int(), val: z.number().int() });

export const DatasetSchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    version: z.number().int().openapi({ description: "1, or the parent's + 1" }),
    parentId: z.uuid().nullable(),
    source: DatasetSourceSchema.openapi({ description: "`reviews`, or the imported archive's format" }),
    seed: z.string(),
    valFraction: z.number(),
    classes: z.array(z.string()).openapi({ description: "Class names; a box's `classId` is its index here" }),
    counts: z.object({
      images: CountsSchema.extend({ total: z.number().int() }),
      boxes: CountsSchema.extend({ total: z.number().int() }),
      perClass: z.array(CountsSchema.extend({ classId: z.number().int(), name: z.string() })),
    }),
    skipped: z
      .object({
        pending: z.number().int().openapi({ description: "Jobs whose review still has pending detections" }),
        unreviewed: z.number().int().openapi({ description: "Jobs nobody reviewed, with nothing to review" }),
        duplicate: z.number().int().openapi({ description: "Older jobs of an image a newer one covers" }),
      })
      .openapi({ description: "Jobs of the request left out, by reason (images, not boxes)" }),
    createdAt: z.iso.datetime(),
  })
  .openapi("Dataset");

export const DatasetPageSchema = pageResponse(DatasetSchema, "DatasetPage");

const PixelBoxSchema = z.object({ x1: z.number(), y1: z.number(), x2: z.number(), y2: z.number() });

export const DatasetItemSchema = z
  .object({
    id: z.uuid(),
    key: z.string().openapi({ description: "The image's name in the dataset, stable across versions" }),
    filename: z.string().nullable(),
    split: DatasetSplitSchema,
    sha256: z.string(),
    bytes: z.number().int(),
    format: z.enum(imageFormat.enumValues),
    width: z.number().int(),
    height: z.number().int(),
    bitDepth: z.number().int(),
    boxes: z.array(
      z.object({
        classId: z.number().int(),
        label: z.string(),
        box: PixelBoxSchema.openapi({ description: "Pixels, pixel-edge coordinates" }),
        boxNormalized: PixelBoxSchema.openapi({ description: "The box over the image's width and height" }),
      }),
    ),
    source: z
      .object({
        jobId: z.uuid().nullable(),
        imageId: z.uuid().nullable(),
        reviewVersion: z.number().int().nullable(),
      })
      .nullable()
      .openapi({ description: "The job and review version the boxes came from; null for imported images" }),
  })
  .openapi("DatasetItem");

export const DatasetItemPageSchema = pageResponse(DatasetItemSchema, "DatasetItemPage");

export const DatasetIdParamSchema = z.object({
  id: z.uuid().openapi({ param: { name: "id", in: "path" } }),
});
