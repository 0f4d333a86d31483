import { apiKeys } from "@db/schema";
import { requireUserSession } from "@edge/middleware/authenticate";
import { createRouter } from "@edge/openapi";
import { createRoute } from "@hono/zod-openapi";
import { desc, eq } from "drizzle-orm";
import { authErrorResponses, bearerSecurity } from "../common-responses";
import { ApiKeyListSchema, toApiKey } from "./schema";

const route = createRoute({
  method: "get",
  path: "/",
  tags: ["API keys"],
  summary: "List your API keys",
  description: "Newest first, revoked keys included. Secrets are never returned.",
  security: bearerSecurity,
  responses: {
    200: {
      description: "Your keys",
      content: { "application/json": { schema: ApiKeyListSchema } },
    },
    ...authErrorResponses,
  },
});

export const listApiKeys = createRouter().openapi(route, async (c) => {
  const principal = requireUserSession(c);
  const rows = await c.var.db
    .select()
    .from(apiKeys)
    .where(eq(apiKeys.userId, principal.userId))
    .orderBy(desc(apiKeys.createdAt));
  return c.json({ items: rows.map(toApiKey) }, 200);
});
