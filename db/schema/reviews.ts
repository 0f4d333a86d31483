import { sql } from "drizzle-orm";
import {
  check,
  index,
  integer,
  jsonb,
  pgEnum,
  pgTable,
  real,
  text,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";
import { createdAt, id, updatedAt } from "./columns";
import { detections, jobs } from "./jobs";
import { users } from "./users";

/**
 * Human review of a job's detections. The model's rows in `detections` are never changed: a
 * reviewer's decision or edit of one of them, and every box a reviewer draws, is a row here, and
 * every change appends a `review_events` row with its before and after.
 */

export const reviewDecision = pgEnum("review_decision", ["pending", "accepted", "rejected"]);
/** `reset` puts a decision back to pending (an undone accept or reject). */
export const reviewAction = pgEnum("review_action", [
  "accept",
  "reject",
  "relabel",
  "resize",
  "add",
  "note",
  "reset",
]);

/**
 * One row per job under review: `version` counts committed review requests and is the job's
 * review ETag, so two reviewers cannot overwrite each other (If-Match).
 */
export const jobReviews = pgTable("job_reviews", {
  jobId: uuid()
    .primaryKey()
    .references(() => jobs.id, { onDelete: "cascade" }),
  version: integer().notNull().default(0),
  updatedBy: uuid().references(() => users.id, { onDelete: "set null" }),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
});

/**
 * The reviewed state of one indication. `detectionId` set: a model detection as reviewed (its
 * current label, box, decision and note). `detectionId` null: a box the reviewer drew.
 */
export const reviewedDetections = pgTable(
  "reviewed_detections",
  {
    id: id(),
    jobId: uuid()
      .notNull()
      .references(() => jobs.id, { onDelete: "cascade" }),
    detectionId: uuid().references(() => detections.id, { onDelete: "cascade" }),
    decision: reviewDecision().notNull(),
    classId: integer().notNull(),
    label: text().notNull(),
    x1: real().notNull(),
    y1: real().notNull(),
    x2: real().notNull(),
    y2: real().notNull(),
    note: text(),
    updatedBy: uuid().references(() => users.id, { onDelete: "set null" }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex("reviewed_detections_detection_key").on(t.detectionId),
    index("reviewed_detections_job_idx").on(t.jobId, t.id),
    check("reviewed_detections_box_check", sql`${t.x1} < ${t.x2} and ${t.y1} < ${t.y2}`),
  ],
);

/** An indication's reviewable state, as the audit log records it before and after a change. */
export type ReviewedState = {
  decision: (typeof reviewDecision.enumValues)[number];
  classId: number;
  label: string;
  box: { x1: number; y1: number; x2: number; y2: number };
  note: string | null;
};

/** Append-only audit log: who changed which indication, when, from what, to what. */
export const reviewEvents = pgTable(
  "review_events",
  {
    id: id(),
    jobId: uuid()
      .notNull()
      .references(() => jobs.id, { onDelete: "cascade" }),
    /** The indication's id as the API shows it: the detection's id, or the drawn box's id. */
    itemId: uuid().notNull(),
    /** The review version this change produced; one request's changes share it. */
    version: integer().notNull(),
    action: reviewAction().notNull(),
    /** Kept when the user is deleted later, so the log still says a since-deleted user acted. */
    actorId: uuid(),
    /** The API key used, when not a signed-in user. */
    apiKeyId: uuid(),
    before: jsonb().$type<ReviewedState>(),
    after: jsonb().$type<ReviewedState>().notNull(),
    createdAt: createdAt(),
  },
  (t) => [index("review_events_job_idx").on(t.jobId, t.id.desc())],
);
