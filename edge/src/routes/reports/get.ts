import { requireScope } from "@edge/middleware/authenticate";
import { createRouter, errorResponse } from "@edge/openapi";
import { toReport } from "@edge/reports/views";
import { createRoute } from "@hono/zod-openapi";
import { authErrorResponses, bearerSecurity } from "../common-responses";
import { ownedReport } from "./owned";
import { ReportIdParamSchema, ReportSchema } from "./schema";

const route = createRoute({
  method: "get",
  path: "/{id}",
  tags: ["Reports"],
  summary: "Get a report",
  description:
    "Status (`queued`, `rendering`, `ready`, `failed`), number, fields, and once ready the PDF's `sha256`, size and `pdfUrl`. Needs `jobs:read`.",
  security: bearerSecurity,
  request: { params: ReportIdParamSchema },
  responses: {
    200: { description: "The report", content: { "application/json": { schema: ReportSchema } } },
    404: errorResponse("No such report among yours (`not_found`)"),
    ...authErrorResponses,
  },
});

export const getReport = createRouter().openapi(route, async (c) => {
  const principal = requireScope(c, "jobs:read");
  const row = await ownedReport(c.var.db, principal.userId, c.req.valid("param").id);
  return c.json(toReport(row), 200);
});
