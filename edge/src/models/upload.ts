import type { Db } from "@db/client-worker";
import { modelUploads } from "@db/schema";
import { and, eq, gt, sql } from "drizzle-orm";
import { uuidv7 } from "uuidv7";
import type { Config } from "../config";
import { ApiError } from "../errors";
import { modelObjectKey } from "./names";
import { signModelUploadUrl } from "./upload-url";

export type ModelUploadTicket = { uploadId: string; uploadUrl: string; expiresAt: Date };

/**
 * Opens a signed, single-use upload of one model file for `ownerId`'s model `name`: a row that
 * remembers it, and the URL to `PUT` the bytes to (`baseUrl` is this API's origin). Training runs
 * upload through this same function and `completeModelUpload`.
 */
export async function createModelUpload(
  db: Db,
  config: Config,
  request: { ownerId: string; actorId: string | null; name: string; baseUrl: string },
): Promise<ModelUploadTicket> {
  const uploadId = uuidv7();
  const expiresAt = new Date((Math.floor(Date.now() / 1000) + config.MODEL_UPLOAD_TTL_SECONDS) * 1000);
  await db.insert(modelUploads).values({
    id: uploadId,
    ownerId: request.ownerId,
    name: request.name,
    stagingKey: modelObjectKey(request.ownerId, uploadId),
    expiresAt,
    createdBy: request.actorId,
  });
  const uploadUrl = await signModelUploadUrl(config, request.baseUrl, uploadId, expiresAt);
  return { uploadId, uploadUrl, expiresAt };
}

const storageUnavailable = (cause: unknown) =>
  new ApiError("storage_unavailable", "The model could not be stored; retry with a new upload", {
    headers: { "Retry-After": "5" },
    cause,
  });

/** A pass-through that feeds every chunk to a SHA-256 digest on its way to R2. */
function hashing(): { stream: TransformStream<Uint8Array, Uint8Array>; digest: Promise<ArrayBuffer> } {
  // Workers' streaming hash; the Bun types merged into this project do not declare it on `crypto`.
  const { DigestStream: Digest } = crypto as unknown as {
    DigestStream: new (algorithm: string) => DigestStream;
  };
  const digest = new Digest("SHA-256");
  const writer = digest.getWriter();
  const stream = new TransformStream<Uint8Array, Uint8Array>({
    async transform(chunk, controller) {
      await writer.write(chunk);
      controller.enqueue(chunk);
    },
    async flush() {
      await writer.close();
    },
  });
  return { stream, digest: digest.digest };
}

/**
 * Ends an upload that cannot become a version: deletes what was stored (a delete that fails must
 * not hide the failure being reported) and marks the upload `failed`.
 */
export async function failModelUpload(db: Db, bucket: R2Bucket, upload: { id: string; stagingKey: string }) {
  await bucket.delete(upload.stagingKey).catch(() => {});
  await db.update(modelUploads).set({ status: "failed" }).where(eq(modelUploads.id, upload.id));
}

const hex = (bytes: ArrayBuffer) =>
  Array.from(new Uint8Array(bytes), (b) => b.toString(16).padStart(2, "0")).join("");

/**
 * Receives the bytes of a signed upload: takes the upload (pending → receiving, once, before it
 * expires), streams the body into its R2 object while computing its sha256, and records size and
 * hash (→ received). Any failure deletes what was written and leaves the upload `failed`: a URL
 * is good for one attempt.
 */
export async function receiveModelUpload(
  db: Db,
  bucket: R2Bucket,
  upload: { id: string; body: ReadableStream<Uint8Array>; length: number },
): Promise<{ bytes: number; sha256: string }> {
  const [taken] = await db
    .update(modelUploads)
    .set({ status: "receiving" })
    .where(
      and(
        eq(modelUploads.id, upload.id),
        eq(modelUploads.status, "pending"),
        gt(modelUploads.expiresAt, sql`now()`),
      ),
    )
    .returning({ stagingKey: modelUploads.stagingKey });
  if (!taken) throw new ApiError("conflict", "This upload URL has been used or has expired");
  const fixed = new FixedLengthStream(upload.length);
  const hash = hashing();
  try {
    await Promise.all([
      bucket.put(taken.stagingKey, fixed.readable, {
        httpMetadata: { contentType: "application/octet-stream" },
      }),
      upload.body.pipeThrough(hash.stream).pipeTo(fixed.writable),
    ]);
    const sha256 = hex(await hash.digest);
    await db
      .update(modelUploads)
      .set({ status: "received", bytes: upload.length, sha256 })
      .where(eq(modelUploads.id, upload.id));
    return { bytes: upload.length, sha256 };
  } catch (error) {
    await failModelUpload(db, bucket, { id: upload.id, stagingKey: taken.stagingKey });
    // A body the request guard cut off is answered with the guard's refusal (it wins in onError).
    throw error instanceof ApiError ? error : storageUnavailable(error);
  }
}
