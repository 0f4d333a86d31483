import { datasets } from "@db/schema";
import { toDataset } from "@edge/datasets/views";
import { requireScope } from "@edge/middleware/authenticate";
import { createRouter, errorResponse } from "@edge/openapi";
import { createRoute, z } from "@hono/zod-openapi";
import { and, desc, eq, lt } from "drizzle-orm";
import { authErrorResponses, bearerSecurity } from "../common-responses";
import { PageQuerySchema, pageSize, toPage } from "../pagination";
import { DatasetPageSchema } from "./schema";

const route = createRoute({
  method: "get",
  path: "/",
  tags: ["Datasets"],
  summary: "List your dataset versions",
  description: "Newest first; `name` lists the versions of one dataset. Needs `datasets:read`.",
  security: bearerSecurity,
  request: { query: PageQuerySchema.extend({ name: z.string().min(1).max(100).optional() }) },
  responses: {
    200: {
      description: "A page of versions",
      content: { "application/json": { schema: DatasetPageSchema } },
    },
    400: errorResponse("Invalid query (`validation_failed`)"),
    ...authErrorResponses,
  },
});

export const listDatasets = createRouter().openapi(route, async (c) => {
  const principal = requireScope(c, "datasets:read");
  const query = c.req.valid("query");
  const limit = pageSize(c.var.config, query.limit);
  const rows = await c.var.db
    .select()
    .from(datasets)
    .where(
      and(
        eq(datasets.ownerId, principal.userId),
        query.cursor ? lt(datasets.id, query.cursor) : undefined,
        query.name ? eq(datasets.name, query.name) : undefined,
      ),
    )
    .orderBy(desc(datasets.id))
    .limit(limit + 1);
  const { page, nextCursor } = toPage(rows, limit);
  return c.json({ items: page.map(toDataset), nextCursor }, 200);
});
