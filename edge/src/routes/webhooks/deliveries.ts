import { webhookDeliveries, webhooks } from "@db/schema";
import { ApiError } from "@edge/errors";
import { requireScope } from "@edge/middleware/authenticate";
import { createRouter, errorResponse } from "@edge/openapi";
import { createRoute } from "@hono/zod-openapi";
import { and, desc, eq, lt } from "drizzle-orm";
import { authErrorResponses, bearerSecurity } from "../common-responses";
import { PageQuerySchema, toDelivery, WebhookDeliveryPageSchema, WebhookIdParamSchema } from "./schema";

const route = createRoute({
  method: "get",
  path: "/{id}/deliveries",
  tags: ["Webhooks"],
  summary: "Delivery log of a webhook",
  description:
    "Newest first: status (`pending` while attempts remain), attempts, last HTTP status and error. " +
    "Needs the `jobs:read` scope.",
  security: bearerSecurity,
  request: { params: WebhookIdParamSchema, query: PageQuerySchema },
  responses: {
    200: {
      description: "Deliveries",
      content: {
        "application/json": {
          schema: WebhookDeliveryPageSchema,
        },
      },
    },
    400: errorResponse("Malformed id or query (`validation_failed`)"),
    404: errorResponse("No such webhook among yours (`not_found`)"),
    ...authErrorResponses,
  },
});

export const listDeliveries = createRouter().openapi(route, async (c) => {
  const principal = requireScope(c, "jobs:read");
  const { id } = c.req.valid("param");
  const { cursor } = c.req.valid("query");
  const limit = Math.min(c.req.valid("query").limit, c.var.config.MAX_PAGE_SIZE);
  const [owned] = await c.var.db
    .select({ id: webhooks.id })
    .from(webhooks)
    .where(and(eq(webhooks.id, id), eq(webhooks.ownerId, principal.userId)));
  // Someone else's webhook looks exactly like a missing one (no existence oracle).
  if (!owned) throw new ApiError("not_found", "Webhook not found");
  const rows = await c.var.db
    .select()
    .from(webhookDeliveries)
    .where(and(eq(webhookDeliveries.webhookId, id), cursor ? lt(webhookDeliveries.id, cursor) : undefined))
    .orderBy(desc(webhookDeliveries.id))
    .limit(limit + 1);
  const page = rows.slice(0, limit);
  const nextCursor = rows.length > limit ? (page.at(-1)?.id ?? null) : null;
  return c.json({ items: page.map(toDelivery), nextCursor }, 200);
});
