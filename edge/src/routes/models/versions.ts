import { modelVersions } from "@db/schema";
import { requireScope } from "@edge/middleware/authenticate";
import { ownedVersion, productionVersion, toModelVersion } from "@edge/models/registry";
import { createRouter, errorResponse } from "@edge/openapi";
import { createRoute, z } from "@hono/zod-openapi";
import { eq } from "drizzle-orm";
import { authErrorResponses, bearerSecurity } from "../common-responses";
import { PageQuerySchema, pageSize, selectPage } from "../pagination";
import {
  ModelNameParamSchema,
  ModelVersionPageSchema,
  ModelVersionParamSchema,
  ModelVersionSchema,
} from "./schema";

const listRoute = createRoute({
  method: "get",
  path: "/{name}/versions",
  tags: ["Models"],
  summary: "List a model's versions",
  description: "Newest first; an empty page for a name you have no versions of. Needs `models:read`.",
  security: bearerSecurity,
  request: { params: ModelNameParamSchema, query: PageQuerySchema },
  responses: {
    200: {
      description: "A page of versions",
      content: { "application/json": { schema: ModelVersionPageSchema } },
    },
    400: errorResponse("Invalid query (`validation_failed`)"),
    ...authErrorResponses,
  },
});

const getRoute = createRoute({
  method: "get",
  path: "/{name}/versions/{n}",
  tags: ["Models"],
  summary: "Get a model version",
  description:
    "Its file (sha256, size), classes, input size, layout, ONNX metadata, metrics and lineage. Needs `models:read`.",
  security: bearerSecurity,
  request: { params: ModelVersionParamSchema },
  responses: {
    200: { description: "The version", content: { "application/json": { schema: ModelVersionSchema } } },
    404: errorResponse("No such version among yours (`not_found`)"),
    ...authErrorResponses,
  },
});

const cardRoute = createRoute({
  method: "get",
  path: "/{name}/versions/{n}/card",
  tags: ["Models"],
  summary: "Get a version's model card",
  description: "Markdown generated when the version was created. Needs `models:read`.",
  security: bearerSecurity,
  request: { params: ModelVersionParamSchema },
  responses: {
    200: { description: "The model card", content: { "text/markdown": { schema: z.string() } } },
    404: errorResponse("No such version among yours (`not_found`)"),
    ...authErrorResponses,
  },
});

export const modelVersionRoutes = createRouter()
  .openapi(listRoute, async (c) => {
    const principal = requireScope(c, "models:read");
    const { name } = c.req.valid("param");
    const query = c.req.valid("query");
    const [{ page, nextCursor }, production] = await Promise.all([
      selectPage(
        c.var.db.select().from(modelVersions).$dynamic(),
        modelVersions.id,
        { cursor: query.cursor, limit: pageSize(c.var.config, query.limit), order: "newest" },
        eq(modelVersions.ownerId, principal.userId),
        eq(modelVersions.name, name),
      ),
      productionVersion(c.var.db, principal.userId, name),
    ]);
    return c.json({ items: page.map((row) => toModelVersion(row, production?.id ?? null)), nextCursor }, 200);
  })
  .openapi(getRoute, async (c) => {
    const principal = requireScope(c, "models:read");
    const { name, n } = c.req.valid("param");
    const [row, production] = await Promise.all([
      ownedVersion(c.var.db, principal.userId, name, n),
      productionVersion(c.var.db, principal.userId, name),
    ]);
    return c.json(toModelVersion(row, production?.id ?? null), 200);
  })
  .openapi(cardRoute, async (c) => {
    const principal = requireScope(c, "models:read");
    const { name, n } = c.req.valid("param");
    const row = await ownedVersion(c.var.db, principal.userId, name, n);
    return c.body(row.card, 200, { "Content-Type": "text/markdown; charset=utf-8" });
  });
