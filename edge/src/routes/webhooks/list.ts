import { webhooks } from "@db/schema";
import { requireScope } from "@edge/middleware/authenticate";
import { createRouter, errorResponse } from "@edge/openapi";
import { createRoute } from "@hono/zod-openapi";
import { and, desc, eq, lt } from "drizzle-orm";
import { authErrorResponses, bearerSecurity } from "../common-responses";
import { PageQuerySchema, toWebhook, WebhookPageSchema } from "./schema";

const route = createRoute({
  method: "get",
  path: "/",
  tags: ["Webhooks"],
  summary: "List your webhooks",
  description: "Newest first. Secrets are never returned. Needs the `jobs:read` scope.",
  security: bearerSecurity,
  request: { query: PageQuerySchema },
  responses: {
    200: {
      description: "Your webhooks",
      content: {
        "application/json": {
          schema: WebhookPageSchema,
        },
      },
    },
    400: errorResponse("Invalid query (`validation_failed`)"),
    ...authErrorResponses,
  },
});

export const listWebhooks = createRouter().openapi(route, async (c) => {
  const principal = requireScope(c, "jobs:read");
  const { cursor } = c.req.valid("query");
  const limit = Math.min(c.req.valid("query").limit, c.var.config.MAX_PAGE_SIZE);
  const rows = await c.var.db
    .select()
    .from(webhooks)
    .where(and(eq(webhooks.ownerId, principal.userId), cursor ? lt(webhooks.id, cursor) : undefined))
    .orderBy(desc(webhooks.id))
    .limit(limit + 1);
  const page = rows.slice(0, limit);
  const nextCursor = rows.length > limit ? (page.at(-1)?.id ?? null) : null;
  return c.json({ items: page.map(toWebhook), nextCursor }, 200);
});
