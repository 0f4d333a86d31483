import { datasets } from "@db/schema";
import { toDataset } from "@edge/datasets/views";
import { requireScope } from "@edge/middleware/authenticate";
import { createRouter, errorResponse } from "@edge/openapi";
import { createRoute, z } from "@hono/zod-openapi";
import { eq } from "drizzle-orm";
import { authErrorResponses, bearerSecurity } from "../common-responses";
import { PageQuerySchema, pageSize, selectPage } from "../pagination";
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
  const { page, nextCursor } = await selectPage(
    c.var.db.select().from(datasets).$dynamic(),
    datasets.id,
    { cursor: query.cursor, limit: pageSize(c.var.config, query.limit), order: "newest" },
    eq(datasets.ownerId, principal.userId),
    query.name ? eq(datasets.name, query.name) : undefined,
  );
  return c.json({ items: page.map(toDataset), nextCursor }, 200);
});
