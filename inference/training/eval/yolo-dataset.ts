/** Reads a YOLO-format detection dataset (data.yaml, images/<split>, labels/<split>). */

import { readdir, readFile } from "node:fs/promises";
import { dirname, extname, isAbsolute, join, resolve, sep } from "node:path";
import type { Truth } from "@inference/eval/average-precision";

// Ultralytics reads all but `.dcm`; the service reads DICONDE too (`--format dicom` sets).
const IMAGE_EXTENSIONS = new Set([".png", ".jpg", ".jpeg", ".tif", ".tiff", ".webp", ".dcm"]);

export interface YoloDataset {
  root: string;
  names: string[];
  splits: Record<string, string>;
}

export interface YoloLabel {
  classId: number;
  /** Normalised centre x, centre y, width, height. */
  cx: number;
  cy: number;
  w: number;
  h: number;
}

/** `names` as Ultralytics writes it: a list, or a map from id to name. */
function parseNames(names: unknown): string[] {
  if (Array.isArray(names)) return names.map(String);
  if (names && typeof names === "object") {
    const entries = Object.entries(names as Record<string, unknown>).map(
      ([k, v]) => [Number(k), String(v)] as const,
    );
    const count = Math.max(...entries.map(([k]) => k)) + 1;
    const byId = new Map(entries);
    return Array.from({ length: count }, (_, i) => byId.get(i) ?? `class_${i}`);
  }
  throw new Error("data.yaml has no `names`");
}

export async function readDataYaml(path: string): Promise<YoloDataset> {
  const doc = Bun.YAML.parse(await readFile(path, "utf8")) as Record<string, unknown>;
  const base = typeof doc.path === "string" ? doc.path : ".";
  const root = isAbsolute(base) ? base : resolve(dirname(path), base);
  const splits: Record<string, string> = {};
  for (const split of ["train", "val", "test"]) {
    const value = doc[split];
    if (typeof value === "string") splits[split] = isAbsolute(value) ? value : join(root, value);
  }
  return { root, names: parseNames(doc.names), splits };
}

/** The Ultralytics rule: the last `images` directory in the path becomes `labels`, extension `.txt`. */
export function labelPathFor(imagePath: string): string {
  const parts = imagePath.split(sep);
  const i = parts.lastIndexOf("images");
  if (i >= 0) parts[i] = "labels";
  const joined = parts.join(sep);
  return `${joined.slice(0, joined.length - extname(joined).length)}.txt`;
}

export function parseLabels(text: string): YoloLabel[] {
  return text
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line.length > 0)
    .map((line) => {
      const [c, cx, cy, w, h] = line.split(/\s+/).map(Number);
      if ([c, cx, cy, w, h].some((v) => v === undefined || !Number.isFinite(v))) {
        throw new Error(`bad label line: ${line}`);
      }
      return { classId: c as number, cx: cx as number, cy: cy as number, w: w as number, h: h as number };
    });
}

/** Labels in pixel xyxy for an image of the given size. */
export function toTruths(labels: YoloLabel[], width: number, height: number): Truth[] {
  return labels.map((l) => ({
    classId: l.classId,
    box: {
      x1: (l.cx - l.w / 2) * width,
      y1: (l.cy - l.h / 2) * height,
      x2: (l.cx + l.w / 2) * width,
      y2: (l.cy + l.h / 2) * height,
    },
  }));
}

export async function listImages(folder: string): Promise<string[]> {
  const entries = await readdir(folder);
  return entries
    .filter((name) => IMAGE_EXTENSIONS.has(extname(name).toLowerCase()))
    .sort()
    .map((name) => join(folder, name));
}

/** An image's labels; an image without a label file has no objects (Ultralytics' convention). */
export async function readLabels(imagePath: string): Promise<YoloLabel[]> {
  try {
    return parseLabels(await readFile(labelPathFor(imagePath), "utf8"));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
}
