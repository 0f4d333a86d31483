import { apiKeys } from "@db/schema";
import { generateApiKey } from "@edge/auth/api-keys";
import { scopesForRole } from "@edge/auth/scopes";
import { ApiError } from "@edge/errors";
import { requireUserSession } from "@edge/middleware/authenticate";
import { createRouter, errorResponse } from "@edge/openapi";
import { createRoute } from "@hono/zod-openapi";
import { authErrorResponses, bearerSecurity } from "../common-responses";
import { CreateApiKeySchema, CreatedApiKeySchema, toApiKey } from "./schema";

const route = createRoute({
  method: "post",
  path: "/",
  tags: ["API keys"],
  summary: "Create an API key",
  description: "For machine clients (scanners, CI). The secret is returned once. Needs a signed-in user.",
  security: bearerSecurity,
  request: { body: { required: true, content: { "application/json": { schema: CreateApiKeySchema } } } },
  responses: {
    201: { description: "Key created", content: { "application/json": { schema: CreatedApiKeySchema } } },
    400: errorResponse("Invalid body (`validation_failed`)"),
    ...authErrorResponses,
  },
});

export const createApiKey = createRouter().openapi(route, async (c) => {
  const principal = requireUserSession(c);
  const body = c.req.valid("json");
  const allowed = scopesForRole(principal.role);
  const excess = body.scopes.filter((scope) => !allowed.includes(scope));
  if (excess.length) throw new ApiError("insufficient_scope", `Your role cannot grant: ${excess.join(", ")}`);

  const { key, prefix, hash } = await generateApiKey();
  const [row] = await c.var.db
    .insert(apiKeys)
    .values({
      userId: principal.userId,
      name: body.name,
      prefix,
      keyHash: hash,
      scopes: [...new Set(body.scopes)],
      expiresAt: body.expiresInDays ? new Date(Date.now() + body.expiresInDays * 86_400_000) : null,
    })
    .returning();
  if (!row) throw new Error("API key insert returned no row");
  c.var.logger.info("api key created", { apiKeyId: row.id, userId: principal.userId });
  return c.json({ apiKey: toApiKey(row), key }, 201);
});
