import type { Db } from "@db/client-worker";
import { type DatasetBox, type DatasetCounts, type DatasetSkipped, datasetItems, datasets } from "@db/schema";
import type { ImageFormat } from "../images/probe";
import { type Split, splitOf } from "./split";

/** An image of the version being made; `split` is set when carried over from the parent. */
export type ItemDraft = {
  key: string;
  filename: string | null;
  objectKey: string;
  sha256: string;
  bytes: number;
  format: ImageFormat;
  width: number;
  height: number;
  bitDepth: number;
  boxes: DatasetBox[];
  split?: Split;
  jobId?: string | null;
  imageId?: string | null;
  reviewVersion?: number | null;
};

export type VersionDraft = {
  id: string;
  ownerId: string;
  name: string;
  version: number;
  parentId: string | null;
  source: (typeof datasets.$inferInsert)["source"];
  seed: string;
  valFraction: number;
  classes: string[];
  skipped: DatasetSkipped;
  items: ItemDraft[];
};

/** Rows per insert statement: 17 parameters each, well under PostgreSQL's 65535. */
const INSERT_CHUNK = 500;

export const NO_SKIPS: DatasetSkipped = { pending: 0, unreviewed: 0, duplicate: 0 };

export function countVersion(classes: string[], items: Array<{ split: Split; boxes: DatasetBox[] }>) {
  const counts: DatasetCounts = {
    images: { train: 0, val: 0 },
    boxes: { train: 0, val: 0 },
    perClass: classes.map(() => ({ train: 0, val: 0 })),
  };
  for (const item of items) {
    counts.images[item.split] += 1;
    counts.boxes[item.split] += item.boxes.length;
    for (const box of item.boxes) {
      const perClass = counts.perClass[box.classId];
      if (perClass) perClass[item.split] += 1;
    }
  }
  return counts;
}

/**
 * Writes a version and all its items in one transaction (one batch: nothing half-written), items
 * in key order. Items without a split get theirs from the seed and their content.
 */
export async function writeVersion(db: Db, draft: VersionDraft) {
  const items = await Promise.all(
    [...draft.items]
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
      .map(async (item) => ({
        ...item,
        split: item.split ?? (await splitOf(draft.seed, item.sha256, draft.valFraction)),
      })),
  );
  const { items: _, ...version } = draft;
  const datasetInsert = db
    .insert(datasets)
    .values({ ...version, counts: countVersion(draft.classes, items) })
    .returning();
  const itemInserts = [];
  for (let i = 0; i < items.length; i += INSERT_CHUNK) {
    const rows = items.slice(i, i + INSERT_CHUNK).map((item) => ({ ...item, datasetId: draft.id }));
    itemInserts.push(db.insert(datasetItems).values(rows));
  }
  const [inserted] = await db.batch([datasetInsert, ...itemInserts]);
  const [row] = inserted;
  if (!row) throw new Error("dataset insert returned no row");
  return row;
}
