import type { AppEnv } from "@edge/env";
import type { Context } from "hono";
import { uuidv7 } from "uuidv7";
import { ApiError } from "../../errors";
import { mimeTypes } from "../../images/probe";
import { putObject } from "../copy-object";
import { DEFAULT_VAL_FRACTION } from "../from-reviews";
import { archiveObjectKey, datasetObjectKey, deleteObjects } from "../object-keys";
import { newSeed } from "../split";
import { type ItemDraft, NO_SKIPS, writeVersion } from "../write-version";
import { ArchiveCursor, readEntry } from "../zip/archive-cursor";
import { checkArchiveImage, sha256Of } from "./archive-image";
import type { Layout } from "./layout";
import { type ImportLimits, readLayout } from "./read-layout";

export type ImportRequest = { name: string; format?: "yolo" | "coco"; seed?: string; valFraction?: number };

/** The archive's declared length: R2 needs it up front, and it is checked against the limit before reading. */
function declaredLength(c: Context<AppEnv>): number {
  const header = c.req.header("content-length");
  if (header === undefined)
    throw new ApiError("length_required", "An archive upload needs a Content-Length header");
  const length = Number(header);
  if (!Number.isSafeInteger(length) || length < 0)
    throw new ApiError("bad_request", "Invalid Content-Length");
  if (length === 0 || !c.req.raw.body) throw new ApiError("empty_body", "The archive is empty");
  return length;
}

/** Streams the body into R2 (bounded by the body guard); the archive is then read back by ranges. */
async function spool(bucket: R2Bucket, key: string, body: ReadableStream<Uint8Array>, length: number) {
  const fixed = new FixedLengthStream(length);
  try {
    await Promise.all([bucket.put(key, fixed.readable), body.pipeTo(fixed.writable)]);
  } catch (error) {
    // A body the guard cut off is answered with the guard's refusal; what is left is storage.
    throw new ApiError("storage_unavailable", "The archive could not be stored; retry shortly", {
      headers: { "Retry-After": "5" },
      cause: error,
    });
  }
}

/** Reads each image in one pass over the archive, checks it and stores it; `written` collects the keys. */
async function storeImages(
  bucket: R2Bucket,
  archiveKey: string,
  layout: Layout,
  target: { ownerId: string; datasetId: string; maxPixels: number },
  written: string[],
): Promise<ItemDraft[]> {
  const object = await bucket.get(archiveKey);
  if (!object) throw new Error("the spooled archive is gone");
  const cursor = new ArchiveCursor(object.body);
  const items: ItemDraft[] = [];
  const bySha = new Map<string, string>();
  try {
    for (const image of [...layout.images].sort((a, b) => a.entry.localOffset - b.entry.localOffset)) {
      const name = image.entry.name;
      const bytes = await readEntry(cursor, image.entry);
      const info = checkArchiveImage(bytes, name, target.maxPixels);
      if (image.declared && (image.declared.width !== info.width || image.declared.height !== info.height)) {
        throw new ApiError(
          "dataset_label_invalid",
          `${name}: the annotations say ${image.declared.width}×${image.declared.height}, the file is ${info.width}×${info.height}`,
          { details: { entry: name } },
        );
      }
      const boxes = image.boxes(info.width, info.height);
      const sha256 = await sha256Of(bytes);
      const same = bySha.get(sha256);
      if (same) {
        throw new ApiError("dataset_duplicate", `${name} and ${same} are the same image`, {
          details: { entries: [same, name] },
        });
      }
      bySha.set(sha256, name);
      const objectKey = datasetObjectKey(target.ownerId, target.datasetId);
      written.push(objectKey);
      await putObject(bucket, objectKey, bytes, mimeTypes[info.format]);
      const { format, width, height, bitDepth } = info;
      items.push({
        key: image.key,
        filename: image.filename,
        objectKey,
        sha256,
        bytes: bytes.length,
        format,
        width,
        height,
        bitDepth,
        boxes,
      });
    }
  } finally {
    await cursor.close();
  }
  return items;
}

function checkKeysUnique(layout: Layout): void {
  const seen = new Map<string, string>();
  for (const image of layout.images) {
    const other = seen.get(image.key);
    if (other) {
      throw new ApiError(
        "dataset_duplicate",
        `${other} and ${image.entry.name} have the same name in the dataset`,
        {
          details: { entries: [other, image.entry.name] },
        },
      );
    }
    seen.set(image.key, image.entry.name);
  }
}

/**
 * Imports a YOLO or COCO archive as a new dataset. The archive is spooled to R2, its index and
 * text entries read and checked, then its images one at a time; the first problem is refused
 * with its code, and every object written so far is deleted (no rows are written until the end).
 */
export async function importArchive(c: Context<AppEnv>, ownerId: string, request: ImportRequest) {
  const config = c.var.config;
  const bucket = c.env.IMAGES;
  const length = declaredLength(c);
  const limits: ImportLimits = {
    maxEntries: config.DATASET_MAX_ENTRIES,
    maxUncompressedBytes: config.DATASET_MAX_UNCOMPRESSED_BYTES,
    maxCompressionRatio: config.DATASET_MAX_COMPRESSION_RATIO,
    maxImageBytes: config.MAX_IMAGE_BYTES,
    maxAnnotationBytes: config.DATASET_MAX_ANNOTATION_BYTES,
    maxBoxesPerImage: config.DATASET_MAX_BOXES_PER_IMAGE,
  };
  const id = uuidv7();
  const archiveKey = archiveObjectKey(ownerId, id);
  const written: string[] = [];
  try {
    await spool(bucket, archiveKey, c.req.raw.body as ReadableStream<Uint8Array>, length);
    const layout = await readLayout(bucket, archiveKey, length, limits, request.format);
    checkKeysUnique(layout);
    if (layout.images.length === 0) throw new ApiError("dataset_empty", "The archive holds no images");
    const target = { ownerId, datasetId: id, maxPixels: config.MAX_IMAGE_PIXELS };
    const items = await storeImages(bucket, archiveKey, layout, target, written);
    c.var.logger.info("dataset archive read", {
      datasetId: id,
      images: items.length,
      ignored: layout.ignored,
    });
    return await writeVersion(c.var.db, {
      id,
      ownerId,
      name: request.name,
      version: 1,
      parentId: null,
      source: layout.format,
      seed: request.seed ?? newSeed(),
      valFraction: request.valFraction ?? DEFAULT_VAL_FRACTION,
      classes: layout.classes,
      skipped: NO_SKIPS,
      items,
    });
  } catch (error) {
    await deleteObjects(bucket, written).catch(() => {});
    throw error;
  } finally {
    await bucket.delete(archiveKey).catch(() => {});
  }
}
