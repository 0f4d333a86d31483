import { ApiError } from "../../errors";
import { ArchiveCursor, readEntry } from "../zip/archive-cursor";
import {
  EOCD_SEARCH_BYTES,
  findCentralDirectory,
  parseCentralDirectory,
  type ZipEntry,
} from "../zip/central-directory";
import { type ArchiveLimits, checkEntrySize, planEntries } from "../zip/entry-plan";
import { cocoFiles, cocoLayout } from "./coco";
import { type Layout, withoutTopFolder } from "./layout";
import { yoloFiles, yoloLayout } from "./yolo";

export type ImportLimits = ArchiveLimits & { maxBoxesPerImage: number };

/** Central directory bytes allowed per entry: its fixed part plus a generous name and extra field. */
const DIRECTORY_BYTES_PER_ENTRY = 2048;

const utf8 = new TextDecoder("utf-8", { fatal: true });

async function readRange(bucket: R2Bucket, key: string, range: R2Range): Promise<Uint8Array> {
  const object = await bucket.get(key, { range });
  if (!object) throw new Error("the spooled archive is gone");
  return new Uint8Array(await object.arrayBuffer());
}

/** The archive's index, checked against the limits before any entry is read. */
async function readEntries(bucket: R2Bucket, key: string, bytes: number, limits: ArchiveLimits) {
  const tail = await readRange(bucket, key, { suffix: Math.min(bytes, EOCD_SEARCH_BYTES) });
  const directory = findCentralDirectory(tail, bytes);
  if (directory.count > limits.maxEntries) {
    throw new ApiError(
      "archive_too_large",
      `The archive lists ${directory.count} entries; the limit is ${limits.maxEntries}`,
      {
        details: { limit: limits.maxEntries },
      },
    );
  }
  if (directory.size > (directory.count + 1) * DIRECTORY_BYTES_PER_ENTRY) {
    throw new ApiError(
      "archive_invalid",
      "Not a readable zip archive: the central directory is larger than its entries need",
    );
  }
  const index = directory.size
    ? await readRange(bucket, key, { offset: directory.offset, length: directory.size })
    : new Uint8Array(0);
  return planEntries(parseCentralDirectory(index, directory), directory.offset, limits);
}

/** Reads the given text entries in one pass over the archive; they are bounded together by the plan. */
async function readTexts(bucket: R2Bucket, key: string, entries: ZipEntry[]): Promise<Map<ZipEntry, string>> {
  const texts = new Map<ZipEntry, string>();
  const object = await bucket.get(key);
  if (!object) throw new Error("the spooled archive is gone");
  const cursor = new ArchiveCursor(object.body);
  try {
    for (const entry of [...entries].sort((a, b) => a.localOffset - b.localOffset)) {
      const bytes = await readEntry(cursor, entry);
      try {
        texts.set(entry, utf8.decode(bytes).replace(/^\uFEFF/, ""));
      } catch {
        throw new ApiError("dataset_label_invalid", `${entry.name} is not UTF-8 text`, {
          details: { entry: entry.name },
        });
      }
    }
  } finally {
    await cursor.close();
  }
  return texts;
}

function checkSizes(texts: ZipEntry[], images: ZipEntry[], limits: ArchiveLimits) {
  let left = limits.maxAnnotationBytes;
  for (const entry of texts) {
    checkEntrySize(entry, left, "Annotations up to");
    left -= entry.size;
  }
  for (const entry of images) checkEntrySize(entry, limits.maxImageBytes, "Image");
}

/**
 * What the archive holds, from its index and its text entries (data.yaml and labels, or the COCO
 * file): classes, images and their boxes, all checked before any image is read.
 */
export async function readLayout(
  bucket: R2Bucket,
  key: string,
  bytes: number,
  limits: ImportLimits,
  format: "yolo" | "coco" | undefined,
): Promise<Layout> {
  const named = withoutTopFolder(await readEntries(bucket, key, bytes, limits));
  const yolo = format === "coco" ? null : yoloFiles(named);
  const coco = yolo || format === "yolo" ? null : cocoFiles(named);
  if (yolo) {
    const texts = [yolo.dataYaml.entry, ...[...yolo.labels.values()].map(({ entry }) => entry)];
    checkSizes(
      texts,
      [...yolo.images.values()].map(({ entry }) => entry),
      limits,
    );
    const read = await readTexts(bucket, key, texts);
    return yoloLayout(yolo, (entry) => read.get(entry) ?? "", limits.maxBoxesPerImage);
  }
  if (coco) {
    checkSizes([coco.annotations.entry], [], limits);
    const read = await readTexts(bucket, key, [coco.annotations.entry]);
    const layout = cocoLayout(coco, read.get(coco.annotations.entry) ?? "", limits.maxBoxesPerImage);
    checkSizes(
      [],
      layout.images.map(({ entry }) => entry),
      limits,
    );
    return layout;
  }
  throw new ApiError(
    "archive_invalid",
    format
      ? `The archive is not in ${format.toUpperCase()} layout (${format === "yolo" ? "no data.yaml" : "no annotations .json"})`
      : "The archive has neither a data.yaml (YOLO) nor one annotations .json (COCO)",
  );
}
