import { index, integer, jsonb, pgEnum, pgTable, text, uuid } from "drizzle-orm/pg-core";
import { claimedWork, id } from "./columns";
import { datasets } from "./datasets";
import { users } from "./users";

/**
 * Training runs: a dataset version and a base model in, a registry version out. The trainer
 * service claims a run (a new attempt), reports each epoch, and finishes it; the edge writes
 * every row. `attempts` numbers the claims: a report naming an older one is stale and ignored.
 */

export const trainingStatus = pgEnum("training_status", [
  "queued",
  "running",
  "succeeded",
  "failed",
  "cancelled",
]);

/** One epoch as the trainer reported it. */
export type TrainingEpoch = {
  epoch: number;
  epochs: number;
  losses: { box: number; cls: number; dfl: number };
  val: { map50: number; map50_95: number };
  seconds: number;
};

/** The best epoch's validation figures and the run's totals, kept with the registry version. */
export type TrainingMetrics = {
  val: { map50: number; map50_95: number };
  bestEpoch: number;
  epochs: number;
  seconds: number;
};

export const trainings = pgTable(
  "trainings",
  {
    id: id(),
    ownerId: uuid()
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    /** Registry name of the model the run makes. */
    name: text().notNull(),
    datasetId: uuid()
      .notNull()
      .references(() => datasets.id, { onDelete: "cascade" }),
    /** `name@N` of one of the owner's registry versions, or a shipped model's name. */
    baseModel: text().notNull(),
    epochs: integer().notNull(),
    /** Null: the base model's input size. */
    imgsz: integer(),
    /** Null: `auto` tiling. */
    tileSize: integer(),
    batch: integer().notNull(),
    seed: integer().notNull(),
    status: trainingStatus().notNull().default("queued"),
    /** Claims so far; the current attempt's number. */
    attempts: integer().notNull().default(0),
    /** Epochs of the current attempt, in order (a new attempt starts the list again). */
    progress: jsonb().$type<TrainingEpoch[]>().notNull().default([]),
    metrics: jsonb().$type<TrainingMetrics>(),
    /** A train error code (`common/contracts/train-errors.ts`) and its message; the last one while retried. */
    errorCode: text(),
    error: text(),
    /** The registry version the run made: `name@N` and its row id. */
    modelVersion: text(),
    modelVersionId: uuid(),
    ...claimedWork(),
  },
  (t) => [
    index("trainings_owner_created_idx").on(t.ownerId, t.id.desc()),
    index("trainings_status_heartbeat_idx").on(t.status, t.heartbeatAt),
  ],
);
