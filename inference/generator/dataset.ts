/** Writes generated samples as an Ultralytics detection dataset (images/, labels/, data.yaml). */

import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { DEFECT_CLASSES } from "./classes";
import type { FilmStyle } from "./film";
import { type BitDepth, DEFAULT_PIXEL_SIZE_MM, EXTENSIONS, encodeImage, type ImageFileFormat } from "./png";
import { deriveSeed } from "./prng";
import { type Label, renderSample } from "./sample";

export const SPLITS = ["train", "val", "test"] as const;
export type Split = (typeof SPLITS)[number];

export interface DatasetOptions {
  out: string;
  seed: number;
  counts: Record<Split, number>;
  imgsz: number;
  bitDepth: BitDepth;
  /** Long strips at the model's resolution (`planLargeScene`), for tiled detection. */
  large?: boolean;
  /** Film look (`renderSample`); `b` draws 3,000–6,000 px strips in the second style. */
  style?: FilmStyle;
  format?: ImageFileFormat;
  /** mm per pixel, written as DICONDE Pixel Spacing (`format: "dicom"`). */
  pixelSizeMm?: number;
  onProgress?: (done: number, total: number) => void;
}

/** YOLO label lines: class cx cy w h, normalised to the image size. */
export function yoloLines(labels: Label[], width: number, height: number): string {
  return labels
    .map(({ classId, box }) => {
      const cx = (box.x1 + box.x2) / 2 / width;
      const cy = (box.y1 + box.y2) / 2 / height;
      const w = (box.x2 - box.x1) / width;
      const h = (box.y2 - box.y1) / height;
      return `${classId} ${[cx, cy, w, h].map((v) => v.toFixed(6)).join(" ")}\n`;
    })
    .join("");
}

export function dataYaml(
  options: Pick<DatasetOptions, "seed" | "counts" | "imgsz" | "bitDepth" | "large" | "style" | "format">,
): string {
  const names = DEFECT_CLASSES.map((name, i) => `  ${i}: ${name}`).join("\n");
  // No `path:` key, so Ultralytics and our tools resolve the splits relative to this file.
  return [
    "# Synthetic weld radiographs from inference/generator",
    `# seed ${options.seed}, planned for ${options.imgsz} px model input, ${options.bitDepth}-bit ${(options.format ?? "png").toUpperCase()}${options.large ? ", large strips at the model's resolution" : ""}${options.style === "b" ? ", style B strips at the model's resolution" : ""}`,
    `# images: train ${options.counts.train}, val ${options.counts.val}, test ${options.counts.test}`,
    "train: images/train",
    "val: images/val",
    "test: images/test",
    `nc: ${DEFECT_CLASSES.length}`,
    "names:",
    names,
    "",
  ].join("\n");
}

/** Each image has its own seed derived from (dataset seed, split, index), so any one can be regenerated alone. */
export const sampleSeed = (seed: number, split: Split, index: number): number =>
  deriveSeed(seed, split, index);

export async function writeDataset(options: DatasetOptions): Promise<void> {
  const total = SPLITS.reduce((n, s) => n + options.counts[s], 0);
  let done = 0;
  for (const split of SPLITS) {
    const imageDir = join(options.out, "images", split);
    const labelDir = join(options.out, "labels", split);
    await mkdir(imageDir, { recursive: true });
    await mkdir(labelDir, { recursive: true });
    for (let i = 0; i < options.counts[split]; i++) {
      const sample = renderSample(sampleSeed(options.seed, split, i), {
        imgsz: options.imgsz,
        large: options.large ?? false,
        style: options.style ?? "a",
      });
      const format = options.format ?? "png";
      const name = `${split}-${String(i).padStart(5, "0")}`;
      const { width, height } = sample.image;
      // Large 16-bit strips hold detector counts, as digital detector images do.
      const counts = options.large || options.style === "b" ? "detector" : "full";
      await writeFile(
        join(imageDir, `${name}.${EXTENSIONS[format]}`),
        await encodeImage(
          sample.image,
          format,
          options.bitDepth,
          counts,
          options.pixelSizeMm ?? DEFAULT_PIXEL_SIZE_MM,
        ),
      );
      await writeFile(join(labelDir, `${name}.txt`), yoloLines(sample.labels, width, height));
      options.onProgress?.(++done, total);
    }
  }
  await writeFile(join(options.out, "data.yaml"), dataYaml(options));
}
