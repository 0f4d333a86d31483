import { modelPromotions } from "@db/schema";
import { requireScope } from "@edge/middleware/authenticate";
import { promoteVersion, rollbackVersion } from "@edge/models/promotion";
import { createRouter, errorResponse } from "@edge/openapi";
import { createRoute } from "@hono/zod-openapi";
import { eq } from "drizzle-orm";
import { authErrorResponses, bearerSecurity } from "../common-responses";
import { PageQuerySchema, pageSize, selectPage } from "../pagination";
import {
  ModelNameParamSchema,
  PromoteSchema,
  PromotionPageSchema,
  PromotionSchema,
  RollbackSchema,
} from "./schema";

const promoteRoute = createRoute({
  method: "post",
  path: "/{name}/promote",
  tags: ["Models"],
  summary: "Promote a version to production",
  description: [
    "Points the `production` alias (what jobs naming the model run) at `version`. Refused with",
    "`promotion_gate` when its validation mAP@0.5 (`metrics.val.map50`) is below the current",
    "production version's, unless `force: true`. Audited. Needs `models:write`.",
  ].join(" "),
  security: bearerSecurity,
  request: {
    params: ModelNameParamSchema,
    body: { required: true, content: { "application/json": { schema: PromoteSchema } } },
  },
  responses: {
    200: {
      description: "The recorded promotion",
      content: { "application/json": { schema: PromotionSchema } },
    },
    400: errorResponse("Invalid body (`validation_failed`, `malformed_json`)"),
    404: errorResponse("No such version among yours (`not_found`)"),
    409: errorResponse("Below the gate (`promotion_gate`), or already in production (`conflict`)"),
    ...authErrorResponses,
  },
});

const rollbackRoute = createRoute({
  method: "post",
  path: "/{name}/rollback",
  tags: ["Models"],
  summary: "Roll production back to the previous version",
  description:
    "Returns `production` to the version it pointed at before the current promotion. Audited. Needs `models:write`.",
  security: bearerSecurity,
  request: {
    params: ModelNameParamSchema,
    body: { required: true, content: { "application/json": { schema: RollbackSchema } } },
  },
  responses: {
    200: {
      description: "The recorded rollback",
      content: { "application/json": { schema: PromotionSchema } },
    },
    400: errorResponse("Invalid body (`validation_failed`, `malformed_json`)"),
    404: errorResponse("No production version among yours (`not_found`)"),
    409: errorResponse("No earlier production version (`conflict`)"),
    ...authErrorResponses,
  },
});

const historyRoute = createRoute({
  method: "get",
  path: "/{name}/history",
  tags: ["Models"],
  summary: "List a model's promotions and rollbacks",
  description:
    "Newest first: who, when, from which version to which, why, and whether forced. Needs `models:read`.",
  security: bearerSecurity,
  request: { params: ModelNameParamSchema, query: PageQuerySchema },
  responses: {
    200: {
      description: "A page of changes",
      content: { "application/json": { schema: PromotionPageSchema } },
    },
    400: errorResponse("Invalid query (`validation_failed`)"),
    ...authErrorResponses,
  },
});

const toPromotion = (row: typeof modelPromotions.$inferSelect) => ({
  id: row.id,
  action: row.action,
  fromVersion: row.fromVersion,
  toVersion: row.toVersion,
  reason: row.reason,
  forced: row.forced,
  actorId: row.actorId,
  createdAt: row.createdAt.toISOString(),
});

export const promotionRoutes = createRouter()
  .openapi(promoteRoute, async (c) => {
    const principal = requireScope(c, "models:write");
    const { name } = c.req.valid("param");
    const body = c.req.valid("json");
    const row = await promoteVersion(c.var.db, {
      ...body,
      name,
      ownerId: principal.userId,
      actorId: principal.userId,
    });
    c.var.logger.info("model promoted", {
      name,
      from: row.fromVersion,
      to: row.toVersion,
      forced: row.forced,
    });
    return c.json(toPromotion(row), 200);
  })
  .openapi(rollbackRoute, async (c) => {
    const principal = requireScope(c, "models:write");
    const { name } = c.req.valid("param");
    const { reason } = c.req.valid("json");
    const row = await rollbackVersion(c.var.db, {
      name,
      reason,
      ownerId: principal.userId,
      actorId: principal.userId,
    });
    c.var.logger.info("model rolled back", { name, from: row.fromVersion, to: row.toVersion });
    return c.json(toPromotion(row), 200);
  })
  .openapi(historyRoute, async (c) => {
    const principal = requireScope(c, "models:read");
    const { name } = c.req.valid("param");
    const query = c.req.valid("query");
    const { page, nextCursor } = await selectPage(
      c.var.db.select().from(modelPromotions).$dynamic(),
      modelPromotions.id,
      { cursor: query.cursor, limit: pageSize(c.var.config, query.limit), order: "newest" },
      eq(modelPromotions.ownerId, principal.userId),
      eq(modelPromotions.name, name),
    );
    return c.json({ items: page.map(toPromotion), nextCursor }, 200);
  });
