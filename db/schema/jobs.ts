import type { DetectParams } from "@common/contracts/detect-message";
import type { Extent, PixelSize } from "@common/measurements";
import { sql } from "drizzle-orm";
import { index, integer, jsonb, pgEnum, pgTable, real, text, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { createdAt, id, timestamptz, updatedAt } from "./columns";
import { images } from "./images";
import { users } from "./users";

export const jobStatus = pgEnum("job_status", ["queued", "running", "succeeded", "failed"]);

/**
 * Detection parameters as requested by the client; kept verbatim for reproducibility. The shape is
 * the queue contract's (`DetectParamsSchema`), which the job's message carries to inference.
 */
export type JobParams = DetectParams & {
  /** The job's own pixel size, overriding the image's; the edge's sizes in mm use it, inference does not. */
  pixelSizeMm?: PixelSize;
};

/** Per-stage inference timings in milliseconds, as reported by the inference service. */
export type JobTimings = Record<string, number>;

export const jobs = pgTable(
  "jobs",
  {
    id: id(),
    ownerId: uuid()
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    imageId: uuid()
      .notNull()
      .references(() => images.id, { onDelete: "cascade" }),
    model: text().notNull(),
    params: jsonb().$type<JobParams>().notNull(),
    status: jobStatus().notNull().default("queued"),
    attempts: integer().notNull().default(0),
    error: text(),
    modelVersion: text(),
    modelSha256: text(),
    /** The model's class names by id, as its result reported them; null before, or from older builds. */
    modelClasses: jsonb().$type<string[]>(),
    timings: jsonb().$type<JobTimings>(),
    /** W3C traceparent of the request that created the job, carried through the queue. */
    traceparent: text(),
    /** Last time the job was put on the queue; the sweeper re-enqueues jobs that stall. */
    enqueuedAt: timestamptz(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
    startedAt: timestamptz(),
    finishedAt: timestamptz(),
  },
  (t) => [
    index("jobs_owner_created_idx").on(t.ownerId, t.createdAt.desc(), t.id.desc()),
    index("jobs_owner_status_created_idx").on(t.ownerId, t.status, t.createdAt.desc()),
    index("jobs_image_idx").on(t.imageId),
    // The stuck-job sweeper scans only unfinished jobs by age.
    index("jobs_unfinished_updated_idx")
      .on(t.status, t.updatedAt)
      .where(sql`${t.status} in ('queued', 'running')`),
    // The operations metrics count jobs finished in the last minutes by status: a range scan of
    // recent rows (index-only), whatever the size of the table.
    index("jobs_finished_idx").on(t.status, t.finishedAt).where(sql`${t.finishedAt} is not null`),
  ],
);

export const detections = pgTable(
  "detections",
  {
    id: id(),
    jobId: uuid()
      .notNull()
      .references(() => jobs.id, { onDelete: "cascade" }),
    /** Position in the model's output order; keeps result sets stable and duplicate-free. */
    rank: integer().notNull(),
    classId: integer().notNull(),
    label: text().notNull(),
    score: real().notNull(),
    x1: real().notNull(),
    y1: real().notNull(),
    x2: real().notNull(),
    y2: real().notNull(),
    /** The indication's own length and width measured at detection time; null from older results. */
    extent: jsonb().$type<Extent>(),
  },
  (t) => [uniqueIndex("detections_job_rank_key").on(t.jobId, t.rank)],
);
