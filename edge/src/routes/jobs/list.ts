import { images, jobs } from "@db/schema";
import { ApiError } from "@edge/errors";
import { toJob } from "@edge/jobs/views";
import { requireScope } from "@edge/middleware/authenticate";
import { createRouter, errorResponse } from "@edge/openapi";
import { reviewCounts } from "@edge/reviews/counts";
import { createRoute, z } from "@hono/zod-openapi";
import { eq } from "drizzle-orm";
import { authErrorResponses, bearerSecurity } from "../common-responses";
import { pageSize, toPage } from "../pagination";
import { JobListQuerySchema, jobListConditions } from "./list-query";
import { jobWithImage } from "./owned";
import { JobPageSchema } from "./schema";

const route = createRoute({
  method: "get",
  path: "/",
  tags: ["Jobs"],
  summary: "List your jobs",
  description: [
    "Newest first unless `sort` says otherwise, without detections (fetch a job for those). Each",
    "job carries its film's identity (file name, weld and part id) and, once succeeded, its review",
    "counts: `needsReview=true` is the worklist of films with indications still pending, and `q`",
    "finds a film by name, weld or part. Needs `jobs:read`.",
  ].join(" "),
  security: bearerSecurity,
  request: { query: JobListQuerySchema },
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
  const { where, orderBy } = jobListConditions(principal.userId, query, ids);
  const rows = await c.var.db
    .select(jobWithImage)
    .from(jobs)
    .innerJoin(images, eq(images.id, jobs.imageId))
    .where(where)
    .orderBy(...orderBy)
    .limit(limit + 1);
  const { page, nextCursor } = toPage(
    rows.map((row) => ({ ...row, id: row.job.id })),
    limit,
  );
  const succeeded = page.filter((row) => row.job.status === "succeeded").map((row) => row.job.id);
  const counts = await reviewCounts(c.var.db, succeeded);
  const items = page.map((row) => ({
    ...toJob(row.job, row.image),
    ...(counts.has(row.job.id) ? { review: counts.get(row.job.id) } : {}),
  }));
  return c.json({ items, nextCursor }, 200);
});
