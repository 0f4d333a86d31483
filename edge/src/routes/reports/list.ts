import { reports } from "@db/schema";
import { requireScope } from "@edge/middleware/authenticate";
import { createRouter, errorResponse } from "@edge/openapi";
import { toReport } from "@edge/reports/views";
import { createRoute } from "@hono/zod-openapi";
import { eq } from "drizzle-orm";
import { authErrorResponses, bearerSecurity } from "../common-responses";
import { PageQuerySchema, pageSize, selectPage } from "../pagination";
import { ReportPageSchema, ReportStatusSchema } from "./schema";

const route = createRoute({
  method: "get",
  path: "/",
  tags: ["Reports"],
  summary: "List your reports",
  description: "Newest first. Needs `jobs:read`.",
  security: bearerSecurity,
  request: { query: PageQuerySchema.extend({ status: ReportStatusSchema.optional() }) },
  responses: {
    200: { description: "A page of reports", content: { "application/json": { schema: ReportPageSchema } } },
    400: errorResponse("Invalid query (`validation_failed`)"),
    ...authErrorResponses,
  },
});

export const listReports = createRouter().openapi(route, async (c) => {
  const principal = requireScope(c, "jobs:read");
  const query = c.req.valid("query");
  const { page, nextCursor } = await selectPage(
    c.var.db.select().from(reports).$dynamic(),
    reports.id,
    { cursor: query.cursor, limit: pageSize(c.var.config, query.limit), order: "newest" },
    eq(reports.ownerId, principal.userId),
    query.status ? eq(reports.status, query.status) : undefined,
  );
  return c.json({ items: page.map(toReport), nextCursor }, 200);
});
