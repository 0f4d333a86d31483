import { images, jobs } from "@db/schema";
import { ApiError } from "@edge/errors";
import { toJob } from "@edge/jobs/views";
import { requireScope } from "@edge/middleware/authenticate";
import { createRouter, errorResponse } from "@edge/openapi";
import { createRoute, z } from "@hono/zod-openapi";
import { and, desc, eq, gte, inArray, lt, lte } from "drizzle-orm";
import { authErrorResponses, bearerSecurity } from "../common-responses";
import { PageQuerySchema, pageSize, toPage } from "../pagination";
import { jobWithImage } from "./owned";
import { JobPageSchema, JobStatusSchema } from "./schema";

const route = createRoute({
  method: "get",
  path: "/",
  tags: ["Jobs"],
  summary: "List your jobs",
  description: "Newest first, without detections (fetch a job for those). Needs `jobs:read`.",
  security: bearerSecurity,
  request: {
    query: PageQuerySchema.extend({
      status: JobStatusSchema.optional(),
      model: z.string().optional(),
      imageId: z.uuid().optional(),
      ids: z
        .string()
        .optional()
        .openapi({ description: "Comma-separated job ids (as in a batch's Location)" }),
      createdAfter: z.iso.datetime().optional(),
      createdBefore: z.iso.datetime().optional(),
    }),
  },
  responses: {
    200: {
      description: "A page of jobs",
      content: { "application/json": { schema: JobPageSchema } },
    },
    400: errorResponse("Invalid query (`validation_failed`)"),
    ...authErrorResponses,
  },
});

export const listJobs = createRouter().openapi(route, async (c) => {
  const principal = requireScope(c, "jobs:read");
  const query = c.req.valid("query");
  const limit = pageSize(c.var.config, query.limit);
  const ids = query.ids?.split(",").filter(Boolean);
  if (ids && (ids.length > 1000 || !ids.every((id) => z.uuid().safeParse(id).success))) {
    throw new ApiError("validation_failed", "ids must be at most 1000 comma-separated job ids");
  }
  const rows = await c.var.db
    .select(jobWithImage)
    .from(jobs)
    .innerJoin(images, eq(images.id, jobs.imageId))
    .where(
      and(
        eq(jobs.ownerId, principal.userId),
        query.cursor ? lt(jobs.id, query.cursor) : undefined,
        query.status ? eq(jobs.status, query.status) : undefined,
        query.model ? eq(jobs.model, query.model) : undefined,
        query.imageId ? eq(jobs.imageId, query.imageId) : undefined,
        ids ? inArray(jobs.id, ids) : undefined,
        query.createdAfter ? gte(jobs.createdAt, new Date(query.createdAfter)) : undefined,
        query.createdBefore ? lte(jobs.createdAt, new Date(query.createdBefore)) : undefined,
      ),
    )
    .orderBy(desc(jobs.id))
    .limit(limit + 1);
  const { page, nextCursor } = toPage(
    rows.map((row) => ({ ...row, id: row.job.id })),
    limit,
  );
  return c.json({ items: page.map((row) => toJob(row.job, row.image)), nextCursor }, 200);
});
