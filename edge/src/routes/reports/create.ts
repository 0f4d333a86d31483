import type { ImagePixelSize, PixelSize } from "@common/measurements";
import { images, type JobParams, jobs, type ReportJob, reportCounters, reports } from "@db/schema";
import { ApiError, queueUnavailable } from "@edge/errors";
import { IdempotencyHeaderSchema, idempotently } from "@edge/idempotency";
import { requireScope } from "@edge/middleware/authenticate";
import { createRouter, errorResponse } from "@edge/openapi";
import { enqueueReport } from "@edge/reports/report-message";
import { toReport } from "@edge/reports/views";
import { createRoute } from "@hono/zod-openapi";
import { and, eq, inArray, sql } from "drizzle-orm";
import { authErrorResponses, bearerSecurity } from "../common-responses";
import { CreateReportSchema, ReportSchema } from "./schema";

/**
 * A job's pixel size in the report, most specific first: the request's for this job, the
 * request's for all, the job's own parameter, the image's (DICONDE or given at upload).
 */
function reportJob(
  jobId: string,
  body: { pixelSizeMm?: PixelSize; pixelSizeMmByJob?: Record<string, PixelSize> },
  job: { params: JobParams; imagePixelSize: ImagePixelSize | null },
): ReportJob {
  const requested = body.pixelSizeMmByJob?.[jobId] ?? body.pixelSizeMm;
  if (requested) return { jobId, pixelSizeMm: requested, pixelSizeSource: "report" };
  if (job.params.pixelSizeMm) return { jobId, pixelSizeMm: job.params.pixelSizeMm, pixelSizeSource: "job" };
  if (job.imagePixelSize) {
    const { source, x, y } = job.imagePixelSize;
    return { jobId, pixelSizeMm: { x, y }, pixelSizeSource: source };
  }
  return { jobId, pixelSizeMm: null, pixelSizeSource: null };
}

const route = createRoute({
  method: "post",
  path: "/",
  tags: ["Reports"],
  summary: "Create a PDF inspection report",
  description: [
    "Queues a report over one or more succeeded jobs (at most REPORT_MAX_JOBS), showing each job's",
    "reviewed set. Answers 202 with the report, `status: queued`, and its number (unique per owner);",
    "follow `Location` until `status` is `ready` (or `failed`, with `error`), or subscribe to the",
    "`report.ready` webhook. Send `Idempotency-Key` to make retries safe: the same key and body",
    "return the same report (no second number), another body under the key is refused. Needs `jobs:write`.",
  ].join(" "),
  security: bearerSecurity,
  request: {
    headers: IdempotencyHeaderSchema,
    body: { required: true, content: { "application/json": { schema: CreateReportSchema } } },
  },
  responses: {
    202: { description: "Queued", content: { "application/json": { schema: ReportSchema } } },
    400: errorResponse("Invalid body (`validation_failed`, `malformed_json`, `too_many_images`)"),
    404: errorResponse("A job is not among yours (`not_found`)"),
    409: errorResponse(
      "A job has not succeeded (`job_not_finished`), or Idempotency-Key reused with another body or still in progress",
    ),
    503: errorResponse("Nothing was created: the queue is unavailable (`queue_unavailable`)"),
    ...authErrorResponses,
  },
});

export const createReport = createRouter().openapi(route, async (c) => {
  const principal = requireScope(c, "jobs:write");
  const body = c.req.valid("json");
  const jobIds = [...new Set(body.jobIds)];
  const limit = c.var.config.REPORT_MAX_JOBS;
  if (jobIds.length > limit) {
    throw new ApiError("too_many_images", `At most ${limit} jobs per report; got ${jobIds.length}`);
  }
  const stray = Object.keys(body.pixelSizeMmByJob ?? {}).filter((id) => !jobIds.includes(id));
  if (stray.length) {
    throw new ApiError("validation_failed", "pixelSizeMmByJob names jobs not in jobIds", {
      details: { jobIds: stray },
    });
  }
  const found = await c.var.db
    .select({ id: jobs.id, status: jobs.status, params: jobs.params, imagePixelSize: images.pixelSizeMm })
    .from(jobs)
    .innerJoin(images, eq(images.id, jobs.imageId))
    .where(and(eq(jobs.ownerId, principal.userId), inArray(jobs.id, jobIds)));
  const byId = new Map(found.map((job) => [job.id, job]));
  const missing = jobIds.filter((id) => !byId.has(id));
  if (missing.length) throw new ApiError("not_found", "Job not found", { details: { jobIds: missing } });
  const unfinished = found.filter((job) => job.status !== "succeeded").map((job) => job.id);
  if (unfinished.length) {
    throw new ApiError("job_not_finished", "Reports cover succeeded jobs only", {
      details: { jobIds: unfinished },
    });
  }

  const { body: created, replayed } = await idempotently(
    c.var.db,
    principal.userId,
    c.req.valid("header")["idempotency-key"],
    `POST /v1/reports\n${JSON.stringify(body)}`,
    202,
    async () => {
      const values = {
        ownerId: principal.userId,
        jobs: jobIds.map((jobId) => reportJob(jobId, body, byId.get(jobId) as (typeof found)[number])),
        header: body.header,
        verdict: body.verdict,
      };
      // The counter row is locked until commit, so concurrent requests get consecutive numbers.
      const report = await c.var.db.interactiveTransaction(async (tx) => {
        const [counter] = await tx
          .insert(reportCounters)
          .values({ ownerId: principal.userId, last: 1 })
          .onConflictDoUpdate({
            target: reportCounters.ownerId,
            set: { last: sql`${reportCounters.last} + 1` },
          })
          .returning({ last: reportCounters.last });
        const [row] = await tx
          .insert(reports)
          .values({ ...values, sequence: counter?.last as number })
          .returning();
        return row as typeof reports.$inferSelect;
      });
      try {
        await enqueueReport(c.env.REPORT_QUEUE, report.id);
      } catch (error) {
        // Nothing half-accepted; the number stays used, so a gap means a request that was refused.
        await c.var.db.delete(reports).where(eq(reports.id, report.id));
        throw queueUnavailable("The report", error);
      }
      c.var.logger.info("report queued", { reportId: report.id, jobs: jobIds.length });
      return toReport(report);
    },
  );
  if (replayed) c.header("Idempotent-Replayed", "true");
  c.header("Location", `/v1/reports/${created.id}`);
  return c.json(created, 202);
});
