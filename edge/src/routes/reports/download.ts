import { ApiError } from "@edge/errors";
import { requireScope } from "@edge/middleware/authenticate";
import { createRouter, errorResponse } from "@edge/openapi";
import { reportNumber } from "@edge/reports/views";
import { createRoute, z } from "@hono/zod-openapi";
import { authErrorResponses, bearerSecurity } from "../common-responses";
import { ownedReport } from "./owned";
import { ReportIdParamSchema } from "./schema";

const hexToBase64 = (hex: string) =>
  btoa(String.fromCharCode(...(hex.match(/../g) ?? []).map((h) => Number.parseInt(h, 16))));

const route = createRoute({
  method: "get",
  path: "/{id}/pdf",
  tags: ["Reports"],
  summary: "Download a report's PDF",
  description:
    "The PDF as an attachment named after the report number, for its owner only. `ETag` and `Repr-Digest` carry its SHA-256, the value recorded on the report, so a copy can be verified later. Needs `jobs:read`.",
  security: bearerSecurity,
  request: { params: ReportIdParamSchema },
  responses: {
    200: {
      description: "The PDF",
      content: { "application/pdf": { schema: z.string().openapi({ type: "string", format: "binary" }) } },
    },
    404: errorResponse("No such report among yours (`not_found`)"),
    409: errorResponse("The report is not ready (`report_not_ready`); see its `status` and `error`"),
    503: errorResponse("The PDF could not be read from storage (`storage_unavailable`)"),
    ...authErrorResponses,
  },
});

export const downloadReport = createRouter().openapi(route, async (c) => {
  const principal = requireScope(c, "jobs:read");
  const row = await ownedReport(c.var.db, principal.userId, c.req.valid("param").id);
  if (row.status !== "ready" || !row.objectKey || !row.sha256) {
    throw new ApiError("report_not_ready", `The report is ${row.status}`, {
      details: { status: row.status, error: row.error },
    });
  }
  const object = await c.env.IMAGES.get(row.objectKey).catch((error: unknown) => {
    throw new ApiError("storage_unavailable", "The report could not be read; retry shortly", {
      cause: error,
      headers: { "Retry-After": "5" },
    });
  });
  if (!object) {
    throw new ApiError("storage_unavailable", "The report's PDF is missing from storage", {
      headers: { "Retry-After": "60" },
    });
  }
  return c.body(object.body, 200, {
    "Content-Type": "application/pdf",
    "Content-Length": String(object.size),
    "Content-Disposition": `attachment; filename="${reportNumber(row.sequence)}.pdf"`,
    ETag: `"${row.sha256}"`,
    "Repr-Digest": `sha-256=:${hexToBase64(row.sha256)}:`,
    "Cache-Control": "private, no-store",
  });
});
