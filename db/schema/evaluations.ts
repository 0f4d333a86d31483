import type { Detection, ModelIdentity } from "@common/contracts/detect-result";
import type { ModelEvaluation } from "@common/contracts/evaluation";
import { sql } from "drizzle-orm";
import {
  doublePrecision,
  index,
  integer,
  jsonb,
  pgEnum,
  pgTable,
  text,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";
import { claimedWork, createdAt, id, timestamptz } from "./columns";
import { datasets } from "./datasets";
import { jobs } from "./jobs";
import { modelVersions } from "./models";
import { users } from "./users";

/**
 * Evidence before a promotion: each new registry version with a dataset is evaluated on that
 * dataset's validation split beside the model it would replace, through the inference service's
 * own pipeline; and a share of live jobs can run a candidate in the shadow of the job's model.
 */

export const modelEvaluationStatus = pgEnum("model_evaluation_status", [
  "queued",
  "running",
  "succeeded",
  "failed",
]);

/** The model a candidate is set against: the owner's production version, or a shipped model. */
export type EvaluationBaseline =
  | { source: "registry"; name: string; version: number; versionId: string }
  | { source: "shipped"; name: string };

/** Both sides' figures as the service reported them. */
export type EvaluationFigures = {
  images: number;
  truths: number;
  threshold: number;
  seconds: number;
  candidate: ModelEvaluation;
  baseline: ModelEvaluation;
};

export const modelEvaluations = pgTable(
  "model_evaluations",
  {
    id: id(),
    ownerId: uuid()
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    /** The candidate; one evaluation per version. */
    versionId: uuid()
      .notNull()
      .references(() => modelVersions.id, { onDelete: "cascade" }),
    datasetId: uuid()
      .notNull()
      .references(() => datasets.id, { onDelete: "cascade" }),
    /** Fixed when the evaluation is created, so a promotion meanwhile does not change the comparison. */
    baseline: jsonb().$type<EvaluationBaseline>().notNull(),
    status: modelEvaluationStatus().notNull().default("queued"),
    /** Claims so far; a progress report or result naming an older one is stale. */
    attempts: integer().notNull().default(0),
    /** A shared error code and its message; the last one while the message is retried. */
    errorCode: text(),
    error: text(),
    figures: jsonb().$type<EvaluationFigures>(),
    ...claimedWork(),
  },
  (t) => [
    uniqueIndex("model_evaluations_version_key").on(t.versionId),
    index("model_evaluations_unfinished_idx")
      .on(t.status, t.updatedAt)
      .where(sql`${t.status} in ('queued', 'running')`),
  ],
);

/**
 * A candidate version running in the shadow of an owner's jobs on `name`: `share` of the jobs
 * created while it is active (`stoppedAt` null) run it too. One active shadow per owner and name.
 */
export const modelShadows = pgTable(
  "model_shadows",
  {
    id: id(),
    ownerId: uuid()
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    name: text().notNull(),
    versionId: uuid()
      .notNull()
      .references(() => modelVersions.id, { onDelete: "cascade" }),
    share: doublePrecision().notNull(),
    createdBy: uuid().references(() => users.id, { onDelete: "set null" }),
    createdAt: createdAt(),
    stoppedAt: timestamptz(),
  },
  (t) => [
    uniqueIndex("model_shadows_active_key").on(t.ownerId, t.name).where(sql`${t.stoppedAt} is null`),
    index("model_shadows_owner_name_idx").on(t.ownerId, t.name, t.id.desc()),
  ],
);

export const shadowResultStatus = pgEnum("shadow_result_status", ["pending", "succeeded", "failed"]);

/** Per class (by label): boxes both found (IoU ≥ 0.5), found only by the candidate, only by production. */
export type ClassAgreement = { label: string; matched: number; extra: number; missing: number };

/**
 * A job picked for a shadow run (at creation) and what the candidate found on its image, kept
 * apart from the job's own detections: never its result, never in its exports.
 */
export const shadowResults = pgTable(
  "shadow_results",
  {
    jobId: uuid()
      .primaryKey()
      .references(() => jobs.id, { onDelete: "cascade" }),
    shadowId: uuid()
      .notNull()
      .references(() => modelShadows.id, { onDelete: "cascade" }),
    status: shadowResultStatus().notNull().default("pending"),
    model: jsonb().$type<ModelIdentity>(),
    detections: jsonb().$type<Detection[]>(),
    agreement: jsonb().$type<ClassAgreement[]>(),
    error: text(),
    createdAt: createdAt(),
    finishedAt: timestamptz(),
  },
  (t) => [index("shadow_results_shadow_idx").on(t.shadowId, t.status)],
);
