import type { TrainClaim } from "@common/contracts/train-claim";
import type { Db } from "@db/client-worker";
import { datasets, trainings } from "@db/schema";
import { and, eq, lt, or, sql } from "drizzle-orm";
import type { Config } from "../config";
import { ApiError } from "../errors";
import { resolveBaseModel, trainBase } from "./base-model";
import { failTraining } from "./finish";
import type { TrainingRow } from "./views";

export type ClaimedTraining = { claim: TrainClaim; run?: TrainingRow };

/** SQL: the run's trainer has not reported for `TRAINING_STUCK_AFTER_SECONDS`. */
export const trainerSilent = (config: Config) =>
  lt(
    sql`coalesce(${trainings.heartbeatAt}, ${trainings.updatedAt})`,
    sql`now() - make_interval(secs => ${config.TRAINING_STUCK_AFTER_SECONDS})`,
  );

/**
 * Claims a run for a trainer, in one conditional UPDATE: a queued run, or a running one whose
 * trainer has gone silent, becomes `running` under the next attempt number, with its epoch list
 * started afresh. A running run whose trainer still reports answers `busy` (a duplicate or
 * redelivered message), a finished, cancelled or deleted one `finished`; either way the trainer
 * acknowledges the message. Reports of earlier attempts are stale from here on.
 */
export async function claimTraining(db: Db, config: Config, id: string): Promise<ClaimedTraining> {
  const [run] = await db
    .update(trainings)
    .set({
      status: "running",
      attempts: sql`${trainings.attempts} + 1`,
      progress: [],
      startedAt: sql`now()`,
      heartbeatAt: sql`now()`,
      updatedAt: sql`now()`,
    })
    .where(
      and(
        eq(trainings.id, id),
        or(eq(trainings.status, "queued"), and(eq(trainings.status, "running"), trainerSilent(config))),
      ),
    )
    .returning();
  if (!run) {
    const [current] = await db
      .select({ status: trainings.status })
      .from(trainings)
      .where(eq(trainings.id, id));
    return { claim: { outcome: current?.status === "running" ? "busy" : "finished" } };
  }
  const [[dataset], base] = await Promise.all([
    db.select().from(datasets).where(eq(datasets.id, run.datasetId)),
    resolveBaseModel(db, config, run.ownerId, run.baseModel).catch((error: unknown) => {
      if (error instanceof ApiError && error.code === "not_found") return null;
      throw error;
    }),
  ]);
  if (!dataset || !base) {
    // The base version was deleted after the run was created: it can never train.
    await failTraining(
      db,
      run.id,
      run.attempts,
      "base_model_unusable",
      `Base model ${run.baseModel} no longer exists`,
    );
    return { claim: { outcome: "finished" } };
  }
  return {
    run,
    claim: {
      outcome: "claimed",
      attempt: run.attempts,
      training: {
        id: run.id,
        name: run.name,
        params: {
          epochs: run.epochs,
          imgsz: run.imgsz,
          tileSize: run.tileSize,
          batch: run.batch,
          seed: run.seed,
        },
        dataset: {
          id: dataset.id,
          name: dataset.name,
          version: dataset.version,
          classes: dataset.classes,
          images: dataset.counts.images,
        },
        base: await trainBase(config, base),
        traceparent: run.traceparent ?? "",
      },
    },
  };
}
