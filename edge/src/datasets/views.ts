import type { datasetItems, datasets } from "@db/schema";

/** A version as the API shows it (`DatasetSchema`). */
export function toDataset(row: typeof datasets.$inferSelect) {
  const { images, boxes, perClass } = row.counts;
  return {
    id: row.id,
    name: row.name,
    version: row.version,
    parentId: row.parentId,
    source: row.source,
    seed: row.seed,
    valFraction: row.valFraction,
    classes: row.classes,
    counts: {
      images: { ...images, total: images.train + images.val },
      boxes: { ...boxes, total: boxes.train + boxes.val },
      perClass: perClass.map((counts, classId) => ({ classId, name: row.classes[classId] ?? "", ...counts })),
    },
    skipped: row.skipped,
    createdAt: row.createdAt.toISOString(),
  };
}

/** An item as the API shows it (`DatasetItemSchema`), its classes named from the version's list. */
export function toDatasetItem(row: typeof datasetItems.$inferSelect, classes: string[]) {
  return {
    id: row.id,
    key: row.key,
    filename: row.filename,
    split: row.split,
    sha256: row.sha256,
    bytes: row.bytes,
    format: row.format,
    width: row.width,
    height: row.height,
    bitDepth: row.bitDepth,
    boxes: row.boxes.map(({ classId, ...box }) => ({
      classId,
      label: classes[classId] ?? "",
      box,
      boxNormalized: {
        x1: box.x1 / row.width,
        y1: box.y1 / row.height,
        x2: box.x2 / row.width,
        y2: box.y2 / row.height,
      },
    })),
    source:
      row.jobId || row.imageId || row.reviewVersion !== null
        ? { jobId: row.jobId, imageId: row.imageId, reviewVersion: row.reviewVersion }
        : null,
  };
}
