import { apiKeys } from "@db/schema";
import { ApiError } from "@edge/errors";
import { requireUserSession } from "@edge/middleware/authenticate";
import { createRouter, errorResponse } from "@edge/openapi";
import { createRoute } from "@hono/zod-openapi";
import { and, eq, sql } from "drizzle-orm";
import { authErrorResponses, bearerSecurity } from "../common-responses";
import { ApiKeyIdParamSchema } from "./schema";

const route = createRoute({
  method: "delete",
  path: "/{id}",
  tags: ["API keys"],
  summary: "Revoke an API key",
  description: "Takes effect on the key's next request. Revoking twice is harmless.",
  security: bearerSecurity,
  request: { params: ApiKeyIdParamSchema },
  responses: {
    204: { description: "Revoked" },
    404: errorResponse("No such key among yours (`not_found`)"),
    ...authErrorResponses,
  },
});

export const revokeApiKey = createRouter().openapi(route, async (c) => {
  const principal = requireUserSession(c);
  const { id } = c.req.valid("param");
  const [row] = await c.var.db
    .update(apiKeys)
    .set({ revokedAt: sql`coalesce(${apiKeys.revokedAt}, now())` })
    .where(and(eq(apiKeys.id, id), eq(apiKeys.userId, principal.userId)))
    .returning({ id: apiKeys.id });
  if (!row) throw new ApiError("not_found", "API key not found");
  return c.body(null, 204);
});
