import { modelEvaluations } from "@db/schema";
import { ApiError } from "@edge/errors";
import { toEvaluation } from "@edge/evaluations/views";
import { requireScope } from "@edge/middleware/authenticate";
import { ownedVersion } from "@edge/models/registry";
import { createRouter, errorResponse } from "@edge/openapi";
import { createRoute } from "@hono/zod-openapi";
import { eq } from "drizzle-orm";
import { authErrorResponses, bearerSecurity } from "../common-responses";
import { EvaluationSchema } from "./evaluation-schema";
import { ModelVersionParamSchema } from "./schema";

const route = createRoute({
  method: "get",
  path: "/{name}/versions/{n}/evaluation",
  tags: ["Models"],
  summary: "Get a version's evaluation beside the model it would replace",
  description: [
    "Every version created with a `datasetId` (uploaded, or made by a training run) is evaluated on",
    "that dataset's validation split by the inference service, beside your production version of the",
    "name (or, without one, its base model or the first shipped model): mAP@0.5, mAP@0.5:0.95, precision",
    "and recall at the default confidence, per class. Needs `models:read`.",
  ].join(" "),
  security: bearerSecurity,
  request: { params: ModelVersionParamSchema },
  responses: {
    200: { description: "The evaluation", content: { "application/json": { schema: EvaluationSchema } } },
    404: errorResponse("No such version among yours, or it names no dataset (`not_found`)"),
    ...authErrorResponses,
  },
});

export const evaluationRoutes = createRouter().openapi(route, async (c) => {
  const principal = requireScope(c, "models:read");
  const { name, n } = c.req.valid("param");
  const version = await ownedVersion(c.var.db, principal.userId, name, n);
  const [row] = await c.var.db
    .select()
    .from(modelEvaluations)
    .where(eq(modelEvaluations.versionId, version.id));
  if (!row) throw new ApiError("not_found", "This version has no evaluation: it names no dataset");
  return c.json(toEvaluation(row, version), 200);
});
