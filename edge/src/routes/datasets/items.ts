import { datasetItems } from "@db/schema";
import { ownedDataset } from "@edge/datasets/owned";
import { toDatasetItem } from "@edge/datasets/views";
import { requireScope } from "@edge/middleware/authenticate";
import { createRouter, errorResponse } from "@edge/openapi";
import { createRoute } from "@hono/zod-openapi";
import { eq } from "drizzle-orm";
import { authErrorResponses, bearerSecurity } from "../common-responses";
import { PageQuerySchema, pageSize, selectPage } from "../pagination";
import { DatasetIdParamSchema, DatasetItemPageSchema, DatasetSplitSchema } from "./schema";

const route = createRoute({
  method: "get",
  path: "/{id}/items",
  tags: ["Datasets"],
  summary: "List a dataset version's images",
  description:
    "Each image with its split, size and boxes (class, pixels and normalised), in key order; `split` lists one split. Needs `datasets:read`.",
  security: bearerSecurity,
  request: {
    params: DatasetIdParamSchema,
    query: PageQuerySchema.extend({ split: DatasetSplitSchema.optional() }),
  },
  responses: {
    200: {
      description: "A page of items",
      content: { "application/json": { schema: DatasetItemPageSchema } },
    },
    400: errorResponse("Invalid query (`validation_failed`)"),
    404: errorResponse("No such dataset among yours (`not_found`)"),
    ...authErrorResponses,
  },
});

export const listDatasetItems = createRouter().openapi(route, async (c) => {
  const principal = requireScope(c, "datasets:read");
  const dataset = await ownedDataset(c.var.db, principal.userId, c.req.valid("param").id);
  const query = c.req.valid("query");
  const { page, nextCursor } = await selectPage(
    c.var.db.select().from(datasetItems).$dynamic(),
    datasetItems.id,
    { cursor: query.cursor, limit: pageSize(c.var.config, query.limit), order: "oldest" },
    eq(datasetItems.datasetId, dataset.id),
    query.split ? eq(datasetItems.split, query.split) : undefined,
  );
  return c.json({ items: page.map((row) => toDatasetItem(row, dataset.classes)), nextCursor }, 200);
});
