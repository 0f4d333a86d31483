import {
  bigint,
  boolean,
  index,
  integer,
  jsonb,
  pgEnum,
  pgTable,
  primaryKey,
  text,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";
import { createdAt, id, timestamptz, updatedAt } from "./columns";
import { datasets } from "./datasets";
import { users } from "./users";

/**
 * The model registry: an owner's detection models, each an immutable sequence of versions
 * (`name@1`, `name@2`, ...) whose ONNX file sits in R2, plus the `production` alias jobs use by
 * default and an audit of every change to it. The shipped models (the inference service's models
 * folder) are not rows: they are read-only and shared by every owner.
 */

/** Evaluation figures of a version; `val.map50` (mAP@0.5 on the validation split) gates promotion. */
export type ModelMetrics = { val?: { map50?: number; [key: string]: unknown }; [key: string]: unknown };

/** Spatial size the model runs at. */
export type ModelInputSize = { height: number; width: number };

export const modelVersions = pgTable(
  "model_versions",
  {
    id: id(),
    ownerId: uuid()
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    name: text().notNull(),
    /** 1, 2, ... per owner and name; never reused. */
    version: integer().notNull(),
    objectKey: text().notNull(),
    sha256: text().notNull(),
    bytes: bigint({ mode: "number" }).notNull(),
    /** Class names by id, from the ONNX metadata. */
    classes: jsonb().$type<string[]>().notNull(),
    inputSize: jsonb().$type<ModelInputSize>().notNull(),
    /** Output layout the inference service decodes: `ultralytics`, `yolov5` or `end2end`. */
    layout: text().notNull(),
    /** The ONNX file's `metadata_props`, as written by the exporter. */
    metadata: jsonb().$type<Record<string, string>>().notNull(),
    metrics: jsonb().$type<ModelMetrics>(),
    /** Lineage: the dataset version trained on, and the model fine-tuned from (`name@N` or a shipped name). */
    datasetId: uuid().references(() => datasets.id, { onDelete: "set null" }),
    baseModel: text(),
    /** Markdown model card, generated from the fields above when the version is created. */
    card: text().notNull(),
    createdBy: uuid().references(() => users.id, { onDelete: "set null" }),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex("model_versions_owner_name_version_key").on(t.ownerId, t.name, t.version),
    index("model_versions_owner_created_idx").on(t.ownerId, t.id.desc()),
  ],
);

export const modelAliases = pgTable(
  "model_aliases",
  {
    ownerId: uuid()
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    name: text().notNull(),
    alias: text().notNull(),
    versionId: uuid()
      .notNull()
      .references(() => modelVersions.id, { onDelete: "cascade" }),
    updatedAt: updatedAt(),
  },
  (t) => [primaryKey({ columns: [t.ownerId, t.name, t.alias] })],
);

export const modelPromotionAction = pgEnum("model_promotion_action", ["promote", "rollback"]);

/** Every change of a `production` alias: who, when, from which version to which, why, forced or not. */
export const modelPromotions = pgTable(
  "model_promotions",
  {
    id: id(),
    ownerId: uuid()
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    name: text().notNull(),
    action: modelPromotionAction().notNull(),
    fromVersion: integer(),
    toVersion: integer().notNull(),
    reason: text().notNull(),
    forced: boolean().notNull().default(false),
    actorId: uuid().references(() => users.id, { onDelete: "set null" }),
    createdAt: createdAt(),
  },
  (t) => [index("model_promotions_owner_name_idx").on(t.ownerId, t.name, t.id)],
);

export const modelUploadStatus = pgEnum("model_upload_status", [
  "pending",
  "receiving",
  "received",
  "completed",
  "failed",
]);

/**
 * A signed, single-use upload of one ONNX file: `pending` until its URL is used, `receiving`
 * while the bytes stream into the staging object, `received` with their size and sha256, then
 * `completed` (a version row exists) or `failed` (the staged object was deleted).
 */
export const modelUploads = pgTable(
  "model_uploads",
  {
    id: id(),
    ownerId: uuid()
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    name: text().notNull(),
    stagingKey: text().notNull(),
    status: modelUploadStatus().notNull().default("pending"),
    bytes: bigint({ mode: "number" }),
    sha256: text(),
    expiresAt: timestamptz().notNull(),
    createdBy: uuid().references(() => users.id, { onDelete: "set null" }),
    createdAt: createdAt(),
  },
  (t) => [index("model_uploads_owner_idx").on(t.ownerId, t.id)],
);
