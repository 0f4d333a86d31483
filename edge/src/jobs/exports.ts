import { sizeInMm } from "@common/measurement-math";
import type { ImagePixelSize } from "@common/measurements";
import { strToU8, zipSync } from "fflate";
import type { DetectionView } from "./views";

/** One finished job as exports see it: its image and its detections. */
export type ExportItem = {
  jobId: string;
  image: { id: string; width: number; height: number; filename: string | null };
  detections: DetectionView[];
  /** mm per pixel for this job's sizes (`jobPixelSize`), or null when unknown. */
  pixelSizeMm: ImagePixelSize | null;
};

/**
 * COCO category ids for the labels of a set of jobs: each label keeps its class id, unless
 * another label already holds that id (jobs of models with other class lists, or a box drawn
 * before reviewers' classes came from the model); that label then gets a fresh id past every
 * class id, so no label is ever renamed to another's ("0 defect" does not turn porosity into
 * "defect").
 */
function categoryIds(items: ExportItem[]) {
  const categories = new Map<number, string>();
  const known = new Map<string, number>();
  let next = Math.max(-1, ...items.flatMap((item) => item.detections.map((d) => d.classId))) + 1;
  const categoryOf = (classId: number, label: string): number => {
    const key = `${classId}\u0000${label}`;
    const id = known.get(key) ?? (categories.has(classId) ? next++ : classId);
    known.set(key, id);
    categories.set(id, label);
    return id;
  };
  return { categoryOf, categories };
}

/**
 * COCO detection results with their ground structure: `images`, `annotations` (bbox as
 * [x, y, width, height] in pixels, with `score`) and `categories`. Category ids are the model's
 * class ids (see `categoryIds` for two labels under one id); image and annotation ids are 1-based
 * positions, with the platform ids kept alongside.
 * `info.detection_set` says whether the detections are the model's output or the reviewed set.
 * Where the pixel size is known, each image carries `pixel_size_mm` ({ x, y, source }) and each
 * annotation `size_mm` ({ width, height, length, breadth, measured, area }, `common/measurements.ts`).
 */
export function toCoco(items: ExportItem[], set: "model" | "reviewed") {
  const { categoryOf, categories } = categoryIds(items);
  const annotations: Array<Record<string, unknown>> = [];
  const cocoImages = items.map((item, index) => {
    const imageId = index + 1;
    for (const d of item.detections) {
      const width = d.box.x2 - d.box.x1;
      const height = d.box.y2 - d.box.y1;
      annotations.push({
        id: annotations.length + 1,
        image_id: imageId,
        category_id: categoryOf(d.classId, d.label),
        bbox: [d.box.x1, d.box.y1, width, height],
        area: width * height,
        iscrowd: 0,
        score: d.score,
        ...(item.pixelSizeMm ? { size_mm: sizeInMm(d.box, item.pixelSizeMm, d.extent) } : {}),
      });
    }
    return {
      id: imageId,
      file_name: item.image.filename ?? `${item.image.id}`,
      width: item.image.width,
      height: item.image.height,
      image_uid: item.image.id,
      job_id: item.jobId,
      ...(item.pixelSizeMm ? { pixel_size_mm: item.pixelSizeMm } : {}),
    };
  });
  return {
    info: {
      description: "Defect detection results",
      date_created: new Date().toISOString(),
      /** `model`: the model's output; `reviewed`: the set after human review. */
      detection_set: set,
    },
    images: cocoImages,
    annotations,
    categories: [...categories]
      .sort(([a], [b]) => a - b)
      .map(([id, name]) => ({ id, name, supercategory: "defect" })),
  };
}

/** YOLO label lines: `class cx cy w h` normalised to the image, plus the score (Ultralytics `save_conf`). */
export function toYoloLines(item: ExportItem): string {
  return item.detections
    .map((d) => {
      const { x1, y1, x2, y2 } = d.boxNormalized;
      const values = [(x1 + x2) / 2, (y1 + y2) / 2, x2 - x1, y2 - y1, d.score].map((v) => v.toFixed(6));
      return `${d.classId} ${values.join(" ")}`;
    })
    .join("\n");
}

/** Columns of the zip's `measurements.csv`. */
export const MEASUREMENT_COLUMNS = [
  "image",
  "line",
  "class_id",
  "label",
  "score",
  "width_mm",
  "height_mm",
  "length_mm",
  "area_mm2",
  // Added later, so at the end: the columns before keep their positions.
  "breadth_mm",
  "length_measured",
] as const;

/**
 * Sizes in mm of every detection whose image has a known pixel size, one row per label line
 * (`line` is its 1-based position in `labels/<image>.txt`); YOLO's own lines have no room for them.
 */
export function toMeasurementsCsv(items: ExportItem[]): string {
  const rows: string[] = [MEASUREMENT_COLUMNS.join(",")];
  for (const item of items) {
    if (!item.pixelSizeMm) continue;
    item.detections.forEach((d, index) => {
      const mm = sizeInMm(d.box, item.pixelSizeMm as ImagePixelSize, d.extent);
      const label = /[",\n]/.test(d.label) ? `"${d.label.replaceAll('"', '""')}"` : d.label;
      rows.push(
        [item.image.id, index + 1, d.classId, label, d.score.toFixed(6)]
          .concat([mm.width, mm.height, mm.length, mm.area, mm.breadth].map((v) => v.toFixed(4)))
          .concat(mm.measured ? "true" : "false")
          .join(","),
      );
    });
  }
  return `${rows.join("\n")}\n`;
}

/**
 * A zip of `labels/<image>.txt` per job plus `classes.txt` (id and name per line), and
 * `measurements.csv` (sizes in mm) when any image has a known pixel size.
 */
export function toYoloZip(items: ExportItem[]): Uint8Array {
  const classes = new Map<number, string>();
  const files: Record<string, Uint8Array> = {};
  for (const item of items) {
    for (const d of item.detections) classes.set(d.classId, d.label);
    files[`labels/${item.image.id}.txt`] = strToU8(toYoloLines(item));
  }
  if (items.some((item) => item.pixelSizeMm)) files["measurements.csv"] = strToU8(toMeasurementsCsv(items));
  files["classes.txt"] = strToU8(
    [...classes]
      .sort(([a], [b]) => a - b)
      .map(([id, name]) => `${id} ${name}`)
      .join("\n"),
  );
  return zipSync(files);
}
