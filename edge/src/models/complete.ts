import type { Db } from "@db/client-worker";
import { datasets, type ModelMetrics, modelUploads, modelVersions, users } from "@db/schema";
import { and, eq, sql } from "drizzle-orm";
import { uuidv7 } from "uuidv7";
import type { Config } from "../config";
import { ApiError } from "../errors";
import { modelCard } from "./card";
import { isShippedModel, parseModelRef } from "./names";
import { findVersion } from "./registry";
import { failModelUpload } from "./upload";
import { type ModelFacts, readModelFacts } from "./verify";

export type CompleteModelUpload = {
  ownerId: string;
  actorId: string | null;
  name: string;
  uploadId: string;
  /** What the uploader says it sent: checked against what was stored. */
  sha256: string;
  bytes: number;
  datasetId?: string | undefined;
  baseModel?: string | undefined;
  metrics?: ModelMetrics | undefined;
};

/** Lineage must name the owner's own dataset and model versions (or a shipped model). */
async function checkLineage(db: Db, config: Config, request: CompleteModelUpload): Promise<void> {
  if (request.datasetId) {
    const [found] = await db
      .select({ id: datasets.id })
      .from(datasets)
      .where(and(eq(datasets.id, request.datasetId), eq(datasets.ownerId, request.ownerId)));
    if (!found)
      throw new ApiError("not_found", "Dataset not found", { details: { datasetId: request.datasetId } });
  }
  if (request.baseModel && !isShippedModel(config, request.baseModel)) {
    const ref = parseModelRef(request.baseModel);
    if (ref?.version == null) {
      throw new ApiError("validation_failed", "baseModel is a shipped model's name or one of your `name@N`");
    }
    if (!(await findVersion(db, request.ownerId, ref.name, ref.version))) {
      throw new ApiError("not_found", "Base model version not found", {
        details: { baseModel: request.baseModel },
      });
    }
  }
}

/** Checks the stored object against the claimed size and hash, and that it loads as a model. */
async function verifyStored(
  bucket: R2Bucket,
  config: Config,
  upload: typeof modelUploads.$inferSelect,
  request: CompleteModelUpload,
): Promise<ModelFacts> {
  const stored = await bucket.head(upload.stagingKey);
  if (!stored || upload.bytes === null || upload.sha256 === null) {
    throw new ApiError("model_invalid", "The uploaded file is gone; upload it again");
  }
  if (stored.size > config.MAX_MODEL_BYTES) {
    throw new ApiError("model_too_large", `A model file may have at most ${config.MAX_MODEL_BYTES} bytes`);
  }
  if (stored.size !== request.bytes || upload.sha256 !== request.sha256.toLowerCase()) {
    throw new ApiError("model_checksum_mismatch", "The stored file is not the one described", {
      details: { stored: { bytes: stored.size, sha256: upload.sha256 } },
    });
  }
  const object = await bucket.get(upload.stagingKey);
  if (!object) throw new ApiError("model_invalid", "The uploaded file is gone; upload it again");
  return readModelFacts(object.body);
}

/** Postgres' unique violation: another version of the same name took the number first. */
const isUniqueViolation = (error: unknown) =>
  (error as { cause?: { code?: string } })?.cause?.code === "23505" ||
  (error as { code?: string })?.code === "23505";

/**
 * Turns the upload into the next version, in one statement: the upload is marked `completed`
 * only if it was `received`, and the version row (numbered after the name's last) is written from
 * it, so a repeated completion can never make two versions.
 */
async function insertVersion(
  db: Db,
  request: CompleteModelUpload,
  facts: ModelFacts,
  card: (version: number, createdAt: Date) => string,
): Promise<typeof modelVersions.$inferSelect | null> {
  const id = uuidv7();
  const createdAt = new Date();
  for (let attempt = 0; ; attempt++) {
    const [next] = await db
      .select({ version: sql<number>`coalesce(max(${modelVersions.version}), 0)::int + 1` })
      .from(modelVersions)
      .where(and(eq(modelVersions.ownerId, request.ownerId), eq(modelVersions.name, request.name)));
    const version = next?.version ?? 1;
    try {
      const inserted = await db.execute<{ id: string }>(sql`
        with taken as (
          update ${modelUploads} set status = 'completed'
          where ${modelUploads.id} = ${request.uploadId} and ${modelUploads.status} = 'received'
          returning owner_id, name, staging_key, sha256, bytes
        )
        insert into ${modelVersions} (id, owner_id, name, version, object_key, sha256, bytes, classes,
          input_size, layout, metadata, metrics, dataset_id, base_model, card, created_by, created_at)
        select ${id}::uuid, owner_id, name, ${version}::int, staging_key, sha256, bytes,
          ${JSON.stringify(facts.classes)}::jsonb, ${JSON.stringify(facts.inputSize)}::jsonb, ${facts.layout}::text,
          ${JSON.stringify(facts.metadata)}::jsonb, ${request.metrics ? JSON.stringify(request.metrics) : null}::jsonb,
          ${request.datasetId ?? null}::uuid, ${request.baseModel ?? null}::text, ${card(version, createdAt)}::text,
          ${request.actorId}::uuid, ${createdAt.toISOString()}::timestamptz
        from taken
        returning id`);
      if (inserted.rows.length === 0) return null;
      const [row] = await db.select().from(modelVersions).where(eq(modelVersions.id, id));
      return row ?? null;
    } catch (error) {
      if (!isUniqueViolation(error) || attempt >= 4) throw error;
    }
  }
}

/**
 * Completes a signed upload: checks lineage, then that the stored file has the size and sha256
 * the uploader names and loads as a detection model, and creates the version. A failed check
 * deletes the stored file and ends the upload (`failed`); no version row is written.
 */
export async function completeModelUpload(
  db: Db,
  bucket: R2Bucket,
  config: Config,
  request: CompleteModelUpload,
): Promise<typeof modelVersions.$inferSelect> {
  const [upload] = await db
    .select()
    .from(modelUploads)
    .where(
      and(
        eq(modelUploads.id, request.uploadId),
        eq(modelUploads.ownerId, request.ownerId),
        eq(modelUploads.name, request.name),
      ),
    );
  if (!upload) throw new ApiError("not_found", "Upload not found");
  if (upload.status !== "received") {
    throw new ApiError("conflict", `The upload is ${upload.status}; only a received upload can be completed`);
  }
  await checkLineage(db, config, request);
  let facts: ModelFacts;
  try {
    facts = await verifyStored(bucket, config, upload, request);
  } catch (error) {
    if (error instanceof ApiError && error.status < 500) await failModelUpload(db, bucket, upload);
    throw error;
  }
  const [actor] = request.actorId
    ? await db.select({ email: users.email }).from(users).where(eq(users.id, request.actorId))
    : [];
  const row = await insertVersion(db, request, facts, (version, createdAt) =>
    modelCard({
      ...facts,
      name: request.name,
      version,
      sha256: upload.sha256 as string,
      bytes: upload.bytes as number,
      metrics: request.metrics ?? null,
      datasetId: request.datasetId ?? null,
      baseModel: request.baseModel ?? null,
      createdAt,
      createdByEmail: actor?.email ?? null,
    }),
  );
  if (!row) throw new ApiError("conflict", "The upload was completed by another request");
  return row;
}
