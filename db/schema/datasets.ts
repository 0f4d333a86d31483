import {
  type AnyPgColumn,
  bigint,
  doublePrecision,
  index,
  integer,
  jsonb,
  pgEnum,
  pgTable,
  smallint,
  text,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";
import { createdAt, id } from "./columns";
import { imageFormat, images } from "./images";
import { jobs } from "./jobs";
import { users } from "./users";

/**
 * Labelled image sets a training run is made from. A version is immutable: its rows are written
 * once, in one batch, and never changed; "adding" to a dataset creates a new version (`parentId`)
 * that carries the previous items over with their keys and splits.
 */

export const datasetSource = pgEnum("dataset_source", ["reviews", "yolo", "coco"]);
export const datasetSplit = pgEnum("dataset_split", ["train", "val"]);

/** Per class (by index in `classes`) and split, the boxes of a version. */
export type DatasetClassCounts = { train: number; val: number };

/** What a version holds, counted once when it is written (it never changes afterwards). */
export type DatasetCounts = {
  images: { train: number; val: number };
  boxes: { train: number; val: number };
  perClass: DatasetClassCounts[];
};

/** What a request left out of the version and why (images, not boxes). */
export type DatasetSkipped = {
  /** Reviewed jobs whose review still has pending detections. */
  pending: number;
  /** Succeeded jobs nobody has reviewed and with nothing to review (no detection). */
  unreviewed: number;
  /** Jobs of an image (same content) that a newer job of the same request supersedes. */
  duplicate: number;
};

export const datasets = pgTable(
  "datasets",
  {
    id: id(),
    ownerId: uuid()
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    name: text().notNull(),
    /** 1 for a new dataset, the parent's + 1 for a version made from it. */
    version: integer().notNull(),
    /** The version this one was made from; kept while later versions share its objects. */
    parentId: uuid().references((): AnyPgColumn => datasets.id, { onDelete: "restrict" }),
    source: datasetSource().notNull(),
    /** With an image's content hash, decides its split; inherited by later versions. */
    seed: text().notNull(),
    valFraction: doublePrecision().notNull(),
    /** Class names; a box's `classId` is an index into this list. Later versions only append. */
    classes: jsonb().$type<string[]>().notNull(),
    counts: jsonb().$type<DatasetCounts>().notNull(),
    skipped: jsonb().$type<DatasetSkipped>().notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    index("datasets_owner_created_idx").on(t.ownerId, t.id.desc()),
    index("datasets_parent_idx").on(t.parentId),
  ],
);

/** One box of an item, in image pixels; `classId` indexes the version's `classes`. */
export type DatasetBox = { classId: number; x1: number; y1: number; x2: number; y2: number };

export const datasetItems = pgTable(
  "dataset_items",
  {
    id: id(),
    datasetId: uuid()
      .notNull()
      .references(() => datasets.id, { onDelete: "cascade" }),
    /** The image's name in the dataset, the same in every version that holds it. */
    key: text().notNull(),
    /** Original file name (an import's path, an upload's name). */
    filename: text(),
    /** R2 object, owned by the version that first stored it and shared by later versions. */
    objectKey: text().notNull(),
    sha256: text().notNull(),
    bytes: bigint({ mode: "number" }).notNull(),
    format: imageFormat().notNull(),
    width: integer().notNull(),
    height: integer().notNull(),
    bitDepth: smallint().notNull(),
    split: datasetSplit().notNull(),
    boxes: jsonb().$type<DatasetBox[]>().notNull(),
    /** Where a reviewed item came from; null for imports (and once the job or image is deleted). */
    jobId: uuid().references(() => jobs.id, { onDelete: "set null" }),
    imageId: uuid().references(() => images.id, { onDelete: "set null" }),
    reviewVersion: integer(),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex("dataset_items_dataset_key_key").on(t.datasetId, t.key),
    uniqueIndex("dataset_items_dataset_sha256_key").on(t.datasetId, t.sha256),
    // Pages of items in id order (the order they were written: by key), all or one split.
    index("dataset_items_dataset_idx").on(t.datasetId, t.id),
    index("dataset_items_dataset_split_idx").on(t.datasetId, t.split, t.id),
  ],
);
