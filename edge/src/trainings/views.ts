import type { trainings } from "@db/schema";

export type TrainingRow = typeof trainings.$inferSelect;
export type TrainingStatus = TrainingRow["status"];

/** Once a run has one of these it never changes again. */
export const finalTrainingStatuses = [
  "succeeded",
  "failed",
  "cancelled",
] as const satisfies readonly TrainingStatus[];
/** The statuses a trainer may still act on. */
export const activeTrainingStatuses = ["queued", "running"] as const satisfies readonly TrainingStatus[];

/** A run as the API shows it (`TrainingSchema`) and its events carry it. */
export function toTraining(row: TrainingRow) {
  return {
    id: row.id,
    name: row.name,
    status: row.status,
    datasetId: row.datasetId,
    baseModel: row.baseModel,
    params: {
      epochs: row.epochs,
      imgsz: row.imgsz,
      tileSize: row.tileSize,
      batch: row.batch,
      seed: row.seed,
    },
    attempts: row.attempts,
    progress: row.progress,
    metrics: row.metrics,
    error: row.errorCode ? { code: row.errorCode, message: row.error ?? "" } : null,
    model: row.modelVersion,
    createdAt: row.createdAt.toISOString(),
    startedAt: row.startedAt?.toISOString() ?? null,
    finishedAt: row.finishedAt?.toISOString() ?? null,
    updatedAt: row.updatedAt.toISOString(),
  };
}

export type TrainingView = ReturnType<typeof toTraining>;
