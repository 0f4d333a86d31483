import { reports } from "@db/schema";
import { requireScope } from "@edge/middleware/authenticate";
import { createRouter, errorResponse } from "@edge/openapi";
import { toReport } from "@edge/reports/views";
import { createRoute } from "@hono/zod-openapi";
import { and, desc, eq, lt } from "drizzle-orm";
import { authErrorResponses, bearerSecurity } from "../common-responses";
import { PageQuerySchema, pageSize, toPage } from "../pagination";
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
  const limit = pageSize(c.var.config, query.limit);
  const rows = await c.var.db
    .select()
    .from(reports)
    .where(
      and(
        eq(reports.ownerId, principal.userId),
        query.cursor ? lt(reports.id, query.cursor) : undefined,
        query.status ? eq(reports.status, query.status) : undefined,
      ),
    )
    .orderBy(desc(reports.id))
    .limit(limit + 1);
  const { page, nextCursor } = toPage(rows, limit);
  return c.json({ items: page.map(toReport), nextCursor }, 200);
});
