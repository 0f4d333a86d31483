import type { TrainFinishAnswer, TrainFinishRequest, TrainUploadAnswer } from "@common/contracts/train-claim";
import type { TrainErrorCode } from "@common/contracts/train-errors";
import type { Db } from "@db/client-worker";
import { trainings } from "@db/schema";
import { and, eq, inArray, sql } from "drizzle-orm";
import type { Config } from "../config";
import { ApiError } from "../errors";
import { completeModelUpload } from "../models/complete";
import { formatModelRef } from "../models/names";
import type { ModelVersionRow } from "../models/registry";
import { createModelUpload } from "../models/upload";
import { currentAttempt, stopReason } from "./attempt";
import type { TrainingRow } from "./views";

/** Fails a run that is queued or running (under `attempt`, when given); null when it was not. */
export async function failTraining(
  db: Db,
  id: string,
  attempt: number | null,
  code: TrainErrorCode,
  message: string,
): Promise<TrainingRow | null> {
  const [run] = await db
    .update(trainings)
    .set({ status: "failed", errorCode: code, error: message, finishedAt: sql`now()`, updatedAt: sql`now()` })
    .where(
      attempt === null
        ? and(eq(trainings.id, id), inArray(trainings.status, ["queued", "running"]))
        : currentAttempt(id, attempt),
    )
    .returning();
  return run ?? null;
}

/**
 * Opens the registry's signed upload for the run's model file (`createModelUpload`, the same one
 * `POST /v1/models/{name}/versions` uses), for the current attempt only.
 */
export async function startModelUpload(
  db: Db,
  config: Config,
  request: { id: string; attempt: number; baseUrl: string },
): Promise<TrainUploadAnswer> {
  const [run] = await db
    .update(trainings)
    .set({ heartbeatAt: sql`now()`, updatedAt: sql`now()` })
    .where(currentAttempt(request.id, request.attempt))
    .returning({ ownerId: trainings.ownerId, name: trainings.name });
  if (!run) return { outcome: "stop", reason: await stopReason(db, request.id, request.attempt) };
  const ticket = await createModelUpload(db, config, {
    ownerId: run.ownerId,
    actorId: null,
    name: run.name,
    baseUrl: request.baseUrl,
  });
  return {
    outcome: "upload",
    uploadId: ticket.uploadId,
    url: ticket.uploadUrl,
    method: "PUT",
    headers: { "content-type": "application/octet-stream" },
    expiresAt: ticket.expiresAt.toISOString(),
  };
}

export type FinishContext = { db: Db; bucket: R2Bucket; config: Config };
/** `version`: the registry version a successful run made, for its evaluation. */
export type Finished = { answer: TrainFinishAnswer; run?: TrainingRow; version?: ModelVersionRow };

/**
 * A successful finish: the registry verifies the uploaded file (size, sha256, a model it can
 * serve) and makes it the next version of the run's name, with the dataset and base model as
 * lineage and the run's metrics; then the run succeeds naming that version. A file the registry
 * refuses fails the run `model_rejected`.
 */
async function finishSucceeded(
  { db, bucket, config }: FinishContext,
  id: string,
  body: Extract<TrainFinishRequest, { status: "succeeded" }>,
): Promise<Finished> {
  const [run] = await db.select().from(trainings).where(currentAttempt(id, body.attempt));
  if (!run) return { answer: { outcome: "ignored", reason: await stopReason(db, id, body.attempt) } };
  let version: Awaited<ReturnType<typeof completeModelUpload>>;
  try {
    version = await completeModelUpload(db, bucket, config, {
      ownerId: run.ownerId,
      actorId: null,
      name: run.name,
      uploadId: body.uploadId,
      bytes: body.bytes,
      sha256: body.sha256,
      datasetId: run.datasetId,
      baseModel: run.baseModel,
      metrics: { ...body.metrics, training: { id: run.id, attempt: body.attempt } },
    });
  } catch (error) {
    if (!(error instanceof ApiError) || error.status >= 500) throw error;
    const failed = await failTraining(
      db,
      id,
      body.attempt,
      "model_rejected",
      `${error.code}: ${error.message}`,
    );
    return {
      answer: { outcome: "recorded", status: "failed", model: null },
      ...(failed ? { run: failed } : {}),
    };
  }
  const model = formatModelRef(version.name, version.version);
  const [done] = await db
    .update(trainings)
    .set({
      status: "succeeded",
      metrics: body.metrics,
      modelVersion: model,
      modelVersionId: version.id,
      errorCode: null,
      error: null,
      finishedAt: sql`now()`,
      updatedAt: sql`now()`,
    })
    .where(currentAttempt(id, body.attempt))
    .returning();
  // Cancelled while the registry verified the file: the version exists, the run stays cancelled.
  if (!done) return { answer: { outcome: "ignored", reason: await stopReason(db, id, body.attempt) } };
  return { answer: { outcome: "recorded", status: "succeeded", model }, run: done, version };
}

/**
 * A failed finish: permanent → `failed` now; retryable → back to `queued` with the error kept, for
 * the message's redelivery (the trainer retries it), until the dead-letter queue fails the run.
 */
async function finishFailed(
  db: Db,
  id: string,
  body: Extract<TrainFinishRequest, { status: "failed" }>,
): Promise<Finished> {
  const { code, message, permanent } = body.error;
  if (permanent) {
    const failed = await failTraining(db, id, body.attempt, code, message);
    if (!failed) return { answer: { outcome: "ignored", reason: await stopReason(db, id, body.attempt) } };
    return { answer: { outcome: "recorded", status: "failed", model: null }, run: failed };
  }
  const [queued] = await db
    .update(trainings)
    .set({ status: "queued", errorCode: code, error: message, heartbeatAt: null, updatedAt: sql`now()` })
    .where(currentAttempt(id, body.attempt))
    .returning();
  if (!queued) return { answer: { outcome: "ignored", reason: await stopReason(db, id, body.attempt) } };
  return { answer: { outcome: "recorded", status: "queued", model: null }, run: queued };
}

/** Records the trainer's finish of the current attempt; a stale or late one is ignored. */
export function finishTraining(ctx: FinishContext, id: string, body: TrainFinishRequest): Promise<Finished> {
  return body.status === "failed" ? finishFailed(ctx.db, id, body) : finishSucceeded(ctx, id, body);
}
