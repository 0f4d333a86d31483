import { reportCounters, reports } from "@db/schema";
import { ApiError, queueUnavailable } from "@edge/errors";
import { IdempotencyHeaderSchema, idempotently } from "@edge/idempotency";
import { requireScope } from "@edge/middleware/authenticate";
import { createRouter, errorResponse } from "@edge/openapi";
import { enqueueReport } from "@edge/reports/report-message";
import { type AssessedRequest, assessRequest } from "@edge/reports/report-request";
import { toReport } from "@edge/reports/views";
import { createRoute } from "@hono/zod-openapi";
import { eq, sql } from "drizzle-orm";
import { authErrorResponses, bearerSecurity } from "../common-responses";
import { CreateReportSchema, ReportSchema } from "./schema";

const route = createRoute({
  method: "post",
  path: "/",
  tags: ["Reports"],
  summary: "Issue a PDF inspection report",
  description: [
    "Issues a report over one or more succeeded jobs (films of one weld, at most REPORT_MAX_JOBS) and",
    "queues its PDF. The verdict is derived: each job's reviewed indications are measured in mm and",
    "graded against `acceptance` with the `weld` inputs (see `POST /v1/reports/assessment`); a",
    "`verdictOverride` replaces it only with a reason, and both are printed. Refused with",
    "`409 review_pending` while any indication of the jobs is still pending review. Answers 202 with",
    "the report, `status: queued`, and its number (unique per owner); follow `Location` until `status`",
    "is `ready` (or `failed`, with `error`), or subscribe to the `report.ready` webhook. Send",
    "`Idempotency-Key` to make retries safe: the same key and body return the same report (no second",
    "number), another body under the key is refused. Needs `jobs:write`.",
  ].join(" "),
  security: bearerSecurity,
  request: {
    headers: IdempotencyHeaderSchema,
    body: { required: true, content: { "application/json": { schema: CreateReportSchema } } },
  },
  responses: {
    202: { description: "Queued", content: { "application/json": { schema: ReportSchema } } },
    400: errorResponse(
      "Invalid body (`validation_failed`: also an override without a reason; `malformed_json`, `too_many_images`)",
    ),
    404: errorResponse("A job is not among yours (`not_found`)"),
    409: errorResponse(
      "Indications still pending review (`review_pending`, with `details.pending` and per job), a job has not succeeded (`job_not_finished`), or Idempotency-Key reused with another body or still in progress",
    ),
    503: errorResponse("Nothing was created: the queue is unavailable (`queue_unavailable`)"),
    ...authErrorResponses,
  },
});

/** Refuses to issue over indications nobody has reviewed yet. */
function requireReviewed({ assessment }: AssessedRequest): void {
  if (assessment.pending === 0) return;
  const jobs = assessment.films
    .map((film) => ({
      jobId: film.jobId,
      pending: film.indications.filter((each) => each.decision === "pending").length,
    }))
    .filter((film) => film.pending > 0);
  throw new ApiError(
    "review_pending",
    `${assessment.pending} indication(s) still pending review: accept or reject them before issuing`,
    { details: { pending: assessment.pending, jobs } },
  );
}

export const createReport = createRouter().openapi(route, async (c) => {
  const principal = requireScope(c, "jobs:write");
  const body = c.req.valid("json");
  const assessed = await assessRequest(c.var.db, principal.userId, c.var.config.REPORT_MAX_JOBS, {
    ...body,
    weldId: body.header.weldId,
  });
  requireReviewed(assessed);

  const { body: created, replayed } = await idempotently(
    c.var.db,
    principal.userId,
    c.req.valid("header")["idempotency-key"],
    `POST /v1/reports\n${JSON.stringify(body)}`,
    202,
    async () => {
      const derivedVerdict = assessed.assessment.verdict;
      const values = {
        ownerId: principal.userId,
        jobs: assessed.jobs,
        header: body.header,
        acceptance: body.acceptance,
        weld: body.weld,
        technique: body.technique,
        personnel: body.personnel,
        assessment: assessed.assessment,
        reviewVersions: assessed.reviewVersions,
        derivedVerdict,
        verdictOverride: body.verdictOverride ?? null,
        verdict: body.verdictOverride?.verdict ?? derivedVerdict,
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
      c.var.logger.info("report queued", { reportId: report.id, jobs: assessed.jobs.length });
      return toReport(report);
    },
  );
  if (replayed) c.header("Idempotent-Replayed", "true");
  c.header("Location", `/v1/reports/${created.id}`);
  return c.json(created, 202);
});
