import type { DatasetBox } from "@db/schema";
import { ApiError } from "../../errors";
import type { ZipEntry } from "../zip/central-directory";
import { parseDataYamlNames } from "./data-yaml";
import { type Layout, type Named, stem } from "./layout";

/** How far a normalised coordinate may stray outside [0, 1] from rounding (then it is clamped). */
const ROUNDING = 1e-5;
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

export type YoloFiles = {
  dataYaml: Named;
  labels: Map<string, Named>;
  images: Map<string, Named>;
  ignored: number;
};

/** Sorts a YOLO archive's files by role: data.yaml, `labels/**.txt`, `images/**`; the rest is ignored. */
export function yoloFiles(named: Named[]): YoloFiles | null {
  const dataYaml = named.find(({ path }) => /^data\.ya?ml$/i.test(path));
  if (!dataYaml) return null;
  const labels = new Map<string, Named>();
  const images = new Map<string, Named>();
  let ignored = 0;
  for (const file of named) {
    if (file === dataYaml) continue;
    if (file.path.startsWith("images/")) {
      const key = stem(file.path.slice("images/".length));
      const other = images.get(key);
      if (other) {
        throw new ApiError(
          "dataset_duplicate",
          `${other.entry.name} and ${file.entry.name} share the label file of ${key}`,
          {
            details: { entries: [other.entry.name, file.entry.name] },
          },
        );
      }
      images.set(key, file);
    } else if (file.path.startsWith("labels/") && file.path.endsWith(".txt")) {
      labels.set(stem(file.path.slice("labels/".length)), file);
    } else ignored += 1;
  }
  for (const [key, label] of labels) {
    if (!images.has(key)) {
      throw new ApiError(
        "dataset_image_missing",
        `${label.entry.name} labels an image the archive does not hold`,
        {
          details: { entry: label.entry.name },
        },
      );
    }
  }
  return { dataYaml, labels, images, ignored };
}

type Normalised = { classId: number; cx: number; cy: number; w: number; h: number };

function labelError(file: string, line: number, reason: string): ApiError {
  return new ApiError("dataset_label_invalid", `${file}, line ${line}: ${reason}`, {
    details: { entry: file, line },
  });
}

/** One label file: `class cx cy w h` per line, class a name's index, the rest normalised to [0, 1]. */
export function parseYoloLabels(
  text: string,
  file: string,
  classCount: number,
  maxBoxes: number,
): Normalised[] {
  const boxes: Normalised[] = [];
  for (const [i, raw] of text.split(/\r?\n/).entries()) {
    const fields = raw.trim().split(/\s+/).filter(Boolean);
    if (fields.length === 0) continue;
    const line = i + 1;
    if (fields.length !== 5)
      throw labelError(file, line, `expected 5 fields (class cx cy w h), got ${fields.length}`);
    const [cls, ...coords] = fields as [string, string, string, string, string];
    if (!/^\d+$/.test(cls)) throw labelError(file, line, `class "${cls}" is not a whole number`);
    const classId = Number(cls);
    if (classId >= classCount) {
      throw new ApiError(
        "dataset_class_unknown",
        `${file}, line ${line}: class ${classId}, but data.yaml names ${classCount}`,
        {
          details: { entry: file, line, classId },
        },
      );
    }
    const bad = coords.find((value) => !NUMBER.test(value));
    if (bad !== undefined) throw labelError(file, line, `"${bad}" is not a number`);
    const [cx, cy, w, h] = coords.map(Number) as [number, number, number, number];
    if (![cx, cy, w, h].every((v) => v >= 0 && v <= 1))
      throw labelError(file, line, "coordinates must be normalised to [0, 1]");
    if (w <= 0 || h <= 0) throw labelError(file, line, "width and height must be above 0");
    const edges = [cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2];
    if (edges.some((v) => v < -ROUNDING || v > 1 + ROUNDING))
      throw labelError(file, line, "the box runs outside the image");
    boxes.push({ classId, cx, cy, w, h });
  }
  if (boxes.length > maxBoxes) {
    throw new ApiError(
      "dataset_label_invalid",
      `${file} has ${boxes.length} boxes; the limit is ${maxBoxes}`,
      {
        details: { entry: file, limit: maxBoxes },
      },
    );
  }
  return boxes;
}

const clamp = (v: number, max: number) => Math.min(max, Math.max(0, v));

function toPixels(boxes: Normalised[], width: number, height: number): DatasetBox[] {
  return boxes.map(({ classId, cx, cy, w, h }) => ({
    classId,
    x1: clamp((cx - w / 2) * width, width),
    y1: clamp((cy - h / 2) * height, height),
    x2: clamp((cx + w / 2) * width, width),
    y2: clamp((cy + h / 2) * height, height),
  }));
}

/** The layout of a YOLO archive, from its text entries (read by `text`). */
export function yoloLayout(files: YoloFiles, text: (entry: ZipEntry) => string, maxBoxes: number): Layout {
  const classes = parseDataYamlNames(text(files.dataYaml.entry));
  const images = [...files.images].map(([key, image]) => {
    const label = files.labels.get(key);
    const boxes = label ? parseYoloLabels(text(label.entry), label.entry.name, classes.length, maxBoxes) : [];
    return {
      entry: image.entry,
      key,
      filename: image.path,
      boxes: (width: number, height: number) => toPixels(boxes, width, height),
    };
  });
  return { format: "yolo", classes, images, ignored: files.ignored };
}
