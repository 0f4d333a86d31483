import type { Db } from "@db/client-worker";
import { trainings } from "@db/schema";
import { and, eq, inArray, sql } from "drizzle-orm";
import type { Config } from "../config";
import { ownedDataset } from "../datasets/owned";
import { ApiError } from "../errors";
import { assertRegistryName } from "../models/names";
import { resolveBaseModel } from "./base-model";
import { activeTrainingStatuses } from "./views";

export type TrainingRequest = {
  datasetId: string;
  baseModel: string;
  name: string;
  epochs: number;
  imgsz?: number | undefined;
  tileSize?: number | undefined;
  seed?: number | undefined;
};

function assertLimits(config: Config, body: TrainingRequest): void {
  const over = (field: string, limit: number) =>
    new ApiError("validation_failed", `${field} must be at most ${limit}`, { details: { field, limit } });
  if (body.epochs > config.TRAINING_MAX_EPOCHS) throw over("epochs", config.TRAINING_MAX_EPOCHS);
  if (body.imgsz !== undefined && body.imgsz > config.TRAINING_MAX_IMGSZ)
    throw over("imgsz", config.TRAINING_MAX_IMGSZ);
  if (body.tileSize !== undefined && body.tileSize > config.TRAINING_MAX_TILE_SIZE) {
    throw over("tileSize", config.TRAINING_MAX_TILE_SIZE);
  }
}

/**
 * Checks a training request against the owner's data and the limits, and writes the `queued`
 * run: the dataset and a registry base must be the owner's (404 otherwise, as for missing ones),
 * the dataset must have images in both splits, the result's name must be one the registry takes,
 * and the owner may hold at most TRAINING_MAX_ACTIVE_PER_OWNER unfinished runs.
 */
export async function createTraining(
  db: Db,
  config: Config,
  request: { ownerId: string; body: TrainingRequest; traceparent: string },
) {
  const { ownerId, body } = request;
  assertLimits(config, body);
  assertRegistryName(config, body.name);
  const [dataset, base, [active]] = await Promise.all([
    ownedDataset(db, ownerId, body.datasetId),
    resolveBaseModel(db, config, ownerId, body.baseModel),
    db
      .select({ count: sql<number>`count(*)::int` })
      .from(trainings)
      .where(and(eq(trainings.ownerId, ownerId), inArray(trainings.status, [...activeTrainingStatuses]))),
  ]);
  if (dataset.counts.images.train === 0 || dataset.counts.images.val === 0) {
    throw new ApiError("dataset_empty", "The dataset needs images in both its train and val splits", {
      details: { images: dataset.counts.images },
    });
  }
  if (base.kind === "registry" && body.imgsz !== undefined && body.imgsz !== base.row.inputSize.width) {
    throw new ApiError(
      "validation_failed",
      `Fine-tuning keeps the base model's input size: ${body.baseModel} takes ${base.row.inputSize.width} px`,
    );
  }
  if ((active?.count ?? 0) >= config.TRAINING_MAX_ACTIVE_PER_OWNER) {
    throw new ApiError(
      "quota_exceeded",
      `At most ${config.TRAINING_MAX_ACTIVE_PER_OWNER} training runs may be queued or running at once`,
      { headers: { "Retry-After": "60" } },
    );
  }
  const [run] = await db
    .insert(trainings)
    .values({
      ownerId,
      name: body.name,
      datasetId: dataset.id,
      baseModel: body.baseModel,
      epochs: body.epochs,
      imgsz: body.imgsz ?? null,
      tileSize: body.tileSize ?? null,
      batch: config.TRAINING_BATCH,
      seed: body.seed ?? 0,
      traceparent: request.traceparent,
      enqueuedAt: sql`now()`,
    })
    .returning();
  if (!run) throw new Error("insert returned no row");
  return run;
}
