import { requireScope } from "@edge/middleware/authenticate";
import { createRouter, errorResponse } from "@edge/openapi";
import { ownedTraining } from "@edge/trainings/owned";
import { toTraining } from "@edge/trainings/views";
import { createRoute } from "@hono/zod-openapi";
import { authErrorResponses, bearerSecurity } from "../common-responses";
import { TrainingIdParamSchema, TrainingSchema } from "./schema";

const route = createRoute({
  method: "get",
  path: "/{id}",
  tags: ["Trainings"],
  summary: "Get a training run",
  description:
    "Its status, parameters, progress per epoch, metrics and the model it made. Needs `trainings:read`.",
  security: bearerSecurity,
  request: { params: TrainingIdParamSchema },
  responses: {
    200: { description: "The run", content: { "application/json": { schema: TrainingSchema } } },
    404: errorResponse("No such run among yours (`not_found`)"),
    ...authErrorResponses,
  },
});

export const getTraining = createRouter().openapi(route, async (c) => {
  const principal = requireScope(c, "trainings:read");
  const row = await ownedTraining(c.var.db, principal.userId, c.req.valid("param").id);
  return c.json(toTraining(row), 200);
});
