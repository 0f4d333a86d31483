import { requireScope } from "@edge/middleware/authenticate";
import { registryModels } from "@edge/models/registry";
import { createRouter } from "@edge/openapi";
import { createRoute } from "@hono/zod-openapi";
import { authErrorResponses, bearerSecurity } from "../common-responses";
import { ModelListSchema } from "./schema";

const route = createRoute({
  method: "get",
  path: "/",
  tags: ["Models"],
  summary: "List the models you can run",
  description:
    "The shipped models (read-only, shared), then your registry models by name with their production and latest versions. Needs `models:read`.",
  security: bearerSecurity,
  responses: {
    200: { description: "Models", content: { "application/json": { schema: ModelListSchema } } },
    ...authErrorResponses,
  },
});

export const listModels = createRouter().openapi(route, async (c) => {
  const principal = requireScope(c, "models:read");
  const shipped = c.var.config.DETECTION_MODELS.map((name) => ({
    name,
    source: "shipped" as const,
    productionVersion: null,
    latestVersion: null,
    versions: 0,
  }));
  return c.json({ items: [...shipped, ...(await registryModels(c.var.db, principal.userId))] }, 200);
});
