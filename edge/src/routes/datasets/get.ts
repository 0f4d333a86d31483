import { ownedDataset } from "@edge/datasets/owned";
import { toDataset } from "@edge/datasets/views";
import { requireScope } from "@edge/middleware/authenticate";
import { createRouter, errorResponse } from "@edge/openapi";
import { createRoute } from "@hono/zod-openapi";
import { authErrorResponses, bearerSecurity } from "../common-responses";
import { DatasetIdParamSchema, DatasetSchema } from "./schema";

const route = createRoute({
  method: "get",
  path: "/{id}",
  tags: ["Datasets"],
  summary: "Get a dataset version",
  description:
    "Its classes, seed and split fraction, images and boxes per split and class, and what the request that made it left out. Needs `datasets:read`.",
  security: bearerSecurity,
  request: { params: DatasetIdParamSchema },
  responses: {
    200: { description: "The version", content: { "application/json": { schema: DatasetSchema } } },
    404: errorResponse("No such dataset among yours (`not_found`)"),
    ...authErrorResponses,
  },
});

export const getDataset = createRouter().openapi(route, async (c) => {
  const principal = requireScope(c, "datasets:read");
  const row = await ownedDataset(c.var.db, principal.userId, c.req.valid("param").id);
  return c.json(toDataset(row), 200);
});
