import { shadowReport, startShadow, stopShadow } from "@edge/evaluations/shadow";
import { requireScope } from "@edge/middleware/authenticate";
import { createRouter, errorResponse } from "@edge/openapi";
import { createRoute } from "@hono/zod-openapi";
import { authErrorResponses, bearerSecurity } from "../common-responses";
import { ModelNameParamSchema } from "./schema";
import { ShadowSchema, StartShadowSchema } from "./shadow-schema";

const shadowResponse = { content: { "application/json": { schema: ShadowSchema } } };

const startRoute = createRoute({
  method: "post",
  path: "/{name}/shadow",
  tags: ["Models"],
  summary: "Shadow your jobs on a model with a candidate version",
  description: [
    "From now on `share` of your jobs on this model (picked at creation, by job id) also run the",
    "version; its detections are kept apart (never the job's result, never in exports) and compared",
    "with the job's: per class, boxes both found (IoU ≥ 0.5, same class), extra and missing. Replaces",
    "a running shadow. Needs `models:write`.",
  ].join(" "),
  security: bearerSecurity,
  request: {
    params: ModelNameParamSchema,
    body: { required: true, content: { "application/json": { schema: StartShadowSchema } } },
  },
  responses: {
    201: { description: "The shadow, started", ...shadowResponse },
    400: errorResponse("Invalid body (`validation_failed`)"),
    404: errorResponse("No such version among yours (`not_found`)"),
    ...authErrorResponses,
  },
});

const getRoute = createRoute({
  method: "get",
  path: "/{name}/shadow",
  tags: ["Models"],
  summary: "Get the shadow's agreement with production",
  description:
    "The latest shadow of the model (running or stopped) and its agreement so far. Needs `models:read`.",
  security: bearerSecurity,
  request: { params: ModelNameParamSchema },
  responses: {
    200: { description: "The shadow", ...shadowResponse },
    404: errorResponse("The model was never shadowed (`not_found`)"),
    ...authErrorResponses,
  },
});

const stopRoute = createRoute({
  method: "delete",
  path: "/{name}/shadow",
  tags: ["Models"],
  summary: "Stop the shadow",
  description: "No new job is picked; its results stay readable. Needs `models:write`.",
  security: bearerSecurity,
  request: { params: ModelNameParamSchema },
  responses: {
    200: { description: "The shadow, stopped", ...shadowResponse },
    404: errorResponse("No shadow runs for this model (`not_found`)"),
    ...authErrorResponses,
  },
});

export const shadowRoutes = createRouter()
  .openapi(startRoute, async (c) => {
    const principal = requireScope(c, "models:write");
    const { name } = c.req.valid("param");
    const { version, share } = c.req.valid("json");
    await startShadow(c.var.db, {
      ownerId: principal.userId,
      actorId: principal.userId,
      name,
      version,
      share,
    });
    c.var.logger.info("shadow started", { name, version, share });
    return c.json(await shadowReport(c.var.db, principal.userId, name), 201);
  })
  .openapi(getRoute, async (c) => {
    const principal = requireScope(c, "models:read");
    const { name } = c.req.valid("param");
    return c.json(await shadowReport(c.var.db, principal.userId, name), 200);
  })
  .openapi(stopRoute, async (c) => {
    const principal = requireScope(c, "models:write");
    const { name } = c.req.valid("param");
    await stopShadow(c.var.db, principal.userId, name);
    return c.json(await shadowReport(c.var.db, principal.userId, name), 200);
  });
