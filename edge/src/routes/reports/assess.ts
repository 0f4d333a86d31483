import { requireScope } from "@edge/middleware/authenticate";
import { createRouter, errorResponse } from "@edge/openapi";
import { assessRequest } from "@edge/reports/report-request";
import { createRoute } from "@hono/zod-openapi";
import { authErrorResponses, bearerSecurity } from "../common-responses";
import { AssessReportSchema, ReportAssessmentResponseSchema } from "./schema";

const route = createRoute({
  method: "post",
  path: "/assessment",
  tags: ["Reports"],
  summary: "Assess jobs against a standard without issuing a report",
  description: [
    "What `POST /v1/reports` would derive, stored nowhere: each job's reviewed indications (pending",
    "ones included and flagged) measured in mm along the weld from the film's datum, graded against",
    "`acceptance` with the `weld` inputs, each with the rule (clause) that decided it, and the verdict.",
    "`pending` says how many indications must still be reviewed before the report can be issued.",
    "Needs `jobs:read`.",
  ].join(" "),
  security: bearerSecurity,
  request: { body: { required: true, content: { "application/json": { schema: AssessReportSchema } } } },
  responses: {
    200: {
      description: "The assessment",
      content: { "application/json": { schema: ReportAssessmentResponseSchema } },
    },
    400: errorResponse("Invalid body (`validation_failed`, `malformed_json`, `too_many_images`)"),
    404: errorResponse("A job is not among yours (`not_found`)"),
    409: errorResponse("A job has not succeeded (`job_not_finished`)"),
    ...authErrorResponses,
  },
});

export const assessReport = createRouter().openapi(route, async (c) => {
  const principal = requireScope(c, "jobs:read");
  const body = c.req.valid("json");
  const { assessment } = await assessRequest(c.var.db, principal.userId, c.var.config.REPORT_MAX_JOBS, body);
  return c.json(assessment, 200);
});
