import { ApiError } from "@edge/errors";
import { requireScope } from "@edge/middleware/authenticate";
import { isShippedModel } from "@edge/models/names";
import { registryModels } from "@edge/models/registry";
import { createRouter, errorResponse } from "@edge/openapi";
import { createRoute } from "@hono/zod-openapi";
import { authErrorResponses, bearerSecurity } from "../common-responses";
import { ModelNameParamSchema, ModelSchema } from "./schema";

const route = createRoute({
  method: "get",
  path: "/{name}",
  tags: ["Models"],
  summary: "Get a model",
  description: "A shipped model, or one of your registry models with its versions. Needs `models:read`.",
  security: bearerSecurity,
  request: { params: ModelNameParamSchema },
  responses: {
    200: { description: "The model", content: { "application/json": { schema: ModelSchema } } },
    404: errorResponse("No such model among yours (`not_found`)"),
    ...authErrorResponses,
  },
});

export const getModel = createRouter().openapi(route, async (c) => {
  const principal = requireScope(c, "models:read");
  const { name } = c.req.valid("param");
  if (isShippedModel(c.var.config, name)) {
    return c.json(
      { name, source: "shipped" as const, productionVersion: null, latestVersion: null, versions: 0 },
      200,
    );
  }
  const [model] = await registryModels(c.var.db, principal.userId, name);
  if (!model) throw new ApiError("not_found", "Model not found");
  return c.json(model, 200);
});
