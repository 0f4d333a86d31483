import { z } from "@hono/zod-openapi";
import { pageResponse } from "../pagination";

const sha256 = z.string().regex(/^[0-9a-fA-F]{64}$/);

export const ModelNameParamSchema = z.object({
  name: z
    .string()
    .min(1)
    .max(100)
    .openapi({ param: { name: "name", in: "path" }, example: "weld-defects-custom" }),
});

export const ModelVersionParamSchema = ModelNameParamSchema.extend({
  n: z.coerce
    .number()
    .int()
    .min(1)
    .openapi({ param: { name: "n", in: "path" }, example: 3 }),
});

export const UploadParamSchema = ModelNameParamSchema.extend({
  uploadId: z.uuid().openapi({ param: { name: "uploadId", in: "path" } }),
});

/** Evaluation figures; `val.map50` (mAP@0.5 on the validation split, 0-1) gates promotion. */
export const ModelMetricsSchema = z
  .object({
    val: z
      .object({ map50: z.number().min(0).max(1).optional() })
      .catchall(z.unknown())
      .optional(),
  })
  .catchall(z.unknown())
  .openapi("ModelMetrics", {
    description: "Free-form evaluation figures; `val.map50` (mAP@0.5, validation split) gates promotion",
    example: { val: { map50: 0.71, map: 0.43 } },
  });

export const ModelVersionSchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    version: z.number().int(),
    ref: z
      .string()
      .openapi({ description: "What jobs name it by (`model`)", example: "weld-defects-custom@3" }),
    production: z.boolean().openapi({ description: "Whether the `production` alias points at it" }),
    sha256: z.string(),
    bytes: z.number().int(),
    classes: z.array(z.string()),
    inputSize: z.object({ height: z.number().int(), width: z.number().int() }),
    layout: z.enum(["ultralytics", "yolov5", "end2end"]),
    metadata: z.record(z.string(), z.string()).openapi({ description: "The ONNX file's metadata_props" }),
    metrics: ModelMetricsSchema.nullable(),
    datasetId: z.uuid().nullable(),
    baseModel: z.string().nullable(),
    createdBy: z.uuid().nullable(),
    createdAt: z.iso.datetime(),
    cardUrl: z.string(),
  })
  .openapi("ModelVersion");

export const ModelVersionPageSchema = pageResponse(ModelVersionSchema, "ModelVersionPage");

export const ModelSchema = z
  .object({
    name: z.string(),
    source: z.enum(["shipped", "registry"]).openapi({
      description: "`shipped`: served by every inference host, read-only; `registry`: your versions",
    }),
    productionVersion: z.number().int().nullable(),
    latestVersion: z.number().int().nullable(),
    versions: z.number().int(),
  })
  .openapi("Model");

export const ModelListSchema = z.object({ items: z.array(ModelSchema) }).openapi("ModelList");

export const ModelUploadSchema = z
  .object({
    uploadId: z.uuid(),
    uploadUrl: z.url().openapi({ description: "`PUT` the ONNX file here (once, with Content-Length)" }),
    expiresAt: z.iso.datetime(),
    maxBytes: z.number().int().openapi({ description: "MAX_MODEL_BYTES" }),
  })
  .openapi("ModelUpload");

export const ReceivedUploadSchema = z
  .object({ uploadId: z.uuid(), bytes: z.number().int(), sha256: z.string() })
  .openapi("ReceivedModelUpload");

export const CompleteUploadSchema = z
  .object({
    sha256: sha256.openapi({ description: "SHA-256 (hex) of the file you uploaded" }),
    bytes: z.number().int().min(1),
    datasetId: z.uuid().optional().openapi({ description: "Lineage: the dataset version it was trained on" }),
    baseModel: z
      .string()
      .min(1)
      .max(100)
      .optional()
      .openapi({ description: "Lineage: fine-tuned from (`name@N` of yours, or a shipped model)" }),
    metrics: ModelMetricsSchema.optional(),
  })
  .openapi("CompleteModelUpload");

export const PromoteSchema = z
  .object({
    version: z.number().int().min(1),
    force: z.boolean().default(false).openapi({ description: "Promote even if the gate refuses" }),
    reason: z.string().trim().min(1).max(500),
  })
  .openapi("PromoteModel");

export const RollbackSchema = z
  .object({ reason: z.string().trim().min(1).max(500) })
  .openapi("RollbackModel");

export const PromotionSchema = z
  .object({
    id: z.uuid(),
    action: z.enum(["promote", "rollback"]),
    fromVersion: z.number().int().nullable(),
    toVersion: z.number().int(),
    reason: z.string(),
    forced: z.boolean(),
    actorId: z.uuid().nullable(),
    createdAt: z.iso.datetime(),
  })
  .openapi("ModelPromotion");

export const PromotionPageSchema = pageResponse(PromotionSchema, "ModelPromotionPage");
