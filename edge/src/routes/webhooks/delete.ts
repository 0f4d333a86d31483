import { webhooks } from "@db/schema";
import { ApiError } from "@edge/errors";
import { requireScope } from "@edge/middleware/authenticate";
import { createRouter, errorResponse } from "@edge/openapi";
import { createRoute } from "@hono/zod-openapi";
import { and, eq } from "drizzle-orm";
import { authErrorResponses, bearerSecurity } from "../common-responses";
import { WebhookIdParamSchema } from "./schema";

const route = createRoute({
  method: "delete",
  path: "/{id}",
  tags: ["Webhooks"],
  summary: "Delete a webhook",
  description:
    "Removes the webhook and its delivery log; deliveries still queued are dropped. Needs the `jobs:write` scope.",
  security: bearerSecurity,
  request: { params: WebhookIdParamSchema },
  responses: {
    204: { description: "Deleted" },
    400: errorResponse("Malformed id (`validation_failed`)"),
    404: errorResponse("No such webhook among yours (`not_found`)"),
    ...authErrorResponses,
  },
});

export const deleteWebhook = createRouter().openapi(route, async (c) => {
  const principal = requireScope(c, "jobs:write");
  const { id } = c.req.valid("param");
  const [row] = await c.var.db
    .delete(webhooks)
    .where(and(eq(webhooks.id, id), eq(webhooks.ownerId, principal.userId)))
    .returning({ id: webhooks.id });
  if (!row) throw new ApiError("not_found", "Webhook not found");
  return c.body(null, 204);
});
