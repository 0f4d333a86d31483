import { detections, images, jobs, reviewedDetections } from "@db/schema";
import { filmMatching } from "@edge/images/film-search";
import { z } from "@hono/zod-openapi";
import { and, asc, desc, eq, gt, gte, inArray, lt, lte, type SQL, sql } from "drizzle-orm";
import { PageQuerySchema } from "../pagination";
import { JobStatusSchema } from "./schema";

/** Orders `GET /v1/jobs` can list in; each breaks ties by job id, so pages never overlap. */
export const JOB_SORTS = ["newest", "oldest", "filename", "weld"] as const;
export type JobSort = (typeof JOB_SORTS)[number];

const booleanFlag = z.enum(["true", "false"]).transform((value) => value === "true");

export const JobListQuerySchema = PageQuerySchema.extend({
  status: JobStatusSchema.optional(),
  model: z.string().min(1).max(100).optional().openapi({ description: "The model as the job named it" }),
  imageId: z.uuid().optional().openapi({ description: "Jobs of one image (the image page's list)" }),
  ids: z.string().optional().openapi({ description: "Comma-separated job ids (as in a batch's Location)" }),
  q: z.string().trim().min(1).max(100).optional().openapi({
    description: "Text the film's file name, weld id or part id contains (case-insensitive)",
    example: "W-17",
  }),
  needsReview: booleanFlag.optional().openapi({
    type: "string",
    enum: ["true", "false"],
    description:
      "`true`: succeeded jobs with at least one pending indication (the worklist); `false`: every other job",
  }),
  createdAfter: z.iso.datetime().optional(),
  createdBefore: z.iso.datetime().optional(),
  sort: z.enum(JOB_SORTS).default("newest").openapi({
    description:
      "`newest` (default) or `oldest` first by creation; `filename` or `weld` (weld id) A to Z, films without one last",
  }),
});
export type JobListQuery = z.infer<typeof JobListQuerySchema>;

/** Indications of a job still waiting for a decision: model detections and drawn boxes. */
export const pendingCount = (jobId: SQL | typeof jobs.id) => sql<number>`(
  (select count(*) from ${detections} d
     left join ${reviewedDetections} r on r.detection_id = d.id
     where d.job_id = ${jobId} and coalesce(r.decision, 'pending') = 'pending')
  + (select count(*) from ${reviewedDetections} r
     where r.job_id = ${jobId} and r.detection_id is null and r.decision = 'pending')
)::int`;

const needsReview = and(eq(jobs.status, "succeeded"), sql`${pendingCount(jobs.id)} > 0`) as SQL;

/** The text a sort orders by; films without one sort after every film with one. */
const sortKey = (sort: JobSort) =>
  sort === "filename"
    ? sql`coalesce(lower(${images.filename}), '\uffff')`
    : sql`coalesce(lower(${images.weldId}), '\uffff')`;

/** The WHERE conditions of a page (the owner's jobs, the filters, past the cursor) and its order. */
export function jobListConditions(ownerId: string, query: JobListQuery, ids: string[] | undefined) {
  const filters = [
    eq(jobs.ownerId, ownerId),
    query.status ? eq(jobs.status, query.status) : undefined,
    query.model ? eq(jobs.model, query.model) : undefined,
    query.imageId ? eq(jobs.imageId, query.imageId) : undefined,
    ids ? inArray(jobs.id, ids) : undefined,
    query.q ? filmMatching(query.q) : undefined,
    query.needsReview === undefined ? undefined : query.needsReview ? needsReview : sql`not (${needsReview})`,
    query.createdAfter ? gte(jobs.createdAt, new Date(query.createdAfter)) : undefined,
    query.createdBefore ? lte(jobs.createdAt, new Date(query.createdBefore)) : undefined,
  ];
  const { sort, cursor } = query;
  if (sort === "newest" || sort === "oldest") {
    const newest = sort === "newest";
    return {
      where: and(...filters, cursor ? (newest ? lt : gt)(jobs.id, cursor) : undefined),
      orderBy: [newest ? desc(jobs.id) : asc(jobs.id)],
    };
  }
  const key = sortKey(sort);
  // The cursor is the last job of the previous page: the next page starts past its key and id.
  // Another owner's id matches no row, so it yields an empty page rather than a peek.
  const pastCursor = cursor
    ? sql`(${key}, ${jobs.id}) > (select ${key}, j.id from ${jobs} j join ${images} on ${images.id} = j.image_id
        where j.id = ${cursor} and j.owner_id = ${ownerId})`
    : undefined;
  return { where: and(...filters, pastCursor), orderBy: [asc(key), asc(jobs.id)] };
}
