import { webhooks } from "@db/schema";
import { ApiError } from "@edge/errors";
import { requireScope } from "@edge/middleware/authenticate";
import { createRouter, errorResponse } from "@edge/openapi";
import { generateWebhookSecret } from "@edge/webhooks/signature";
import { checkWebhookUrl } from "@edge/webhooks/url-policy";
import { createRoute } from "@hono/zod-openapi";
import { count, eq } from "drizzle-orm";
import { authErrorResponses, bearerSecurity } from "../common-responses";
import { CreatedWebhookSchema, CreateWebhookSchema, toWebhook } from "./schema";

const route = createRoute({
  method: "post",
  path: "/",
  tags: ["Webhooks"],
  summary: "Register a webhook",
  description:
    "Deliveries for the chosen job events are POSTed to the URL, signed with the returned secret " +
    "(Standard Webhooks). The secret is shown once. Needs the `jobs:write` scope.",
  security: bearerSecurity,
  request: { body: { required: true, content: { "application/json": { schema: CreateWebhookSchema } } } },
  responses: {
    201: {
      description: "Webhook registered",
      content: { "application/json": { schema: CreatedWebhookSchema } },
    },
    400: errorResponse(
      "Invalid body (`validation_failed`), or a URL that is not https, names a local host, or resolves to a non-public address (`invalid_webhook_url`)",
    ),
    503: errorResponse("The host name could not be resolved to check it (`service_unavailable`)"),
    409: errorResponse("You already have `MAX_WEBHOOKS_PER_USER` webhooks (`webhook_limit_reached`)"),
    ...authErrorResponses,
  },
});

export const createWebhook = createRouter().openapi(route, async (c) => {
  const principal = requireScope(c, "jobs:write");
  const body = c.req.valid("json");
  const url = await checkWebhookUrl(body.url, c.var.config);
  const limit = c.var.config.MAX_WEBHOOKS_PER_USER;
  const [existing] = await c.var.db
    .select({ n: count() })
    .from(webhooks)
    .where(eq(webhooks.ownerId, principal.userId));
  if ((existing?.n ?? 0) >= limit) {
    throw new ApiError("webhook_limit_reached", `At most ${limit} webhooks per user; delete one first`);
  }
  const secret = generateWebhookSecret();
  const [row] = await c.var.db
    .insert(webhooks)
    .values({ ownerId: principal.userId, url: url.toString(), events: [...new Set(body.events)], secret })
    .returning();
  if (!row) throw new Error("webhook insert returned no row");
  c.var.logger.info("webhook created", { webhookId: row.id, userId: principal.userId });
  return c.json({ webhook: toWebhook(row), secret }, 201, { Location: `/v1/webhooks/${row.id}` });
});
