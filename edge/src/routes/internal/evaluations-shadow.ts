import { ShadowResultAnswerSchema, ShadowResultSchema } from "@common/contracts/shadow-result";
import { ApiError } from "@edge/errors";
import { applyShadowResult } from "@edge/evaluations/shadow";
import { createRouter } from "@edge/openapi";
import { createRoute, z } from "@hono/zod-openapi";

const route = createRoute({
  method: "post",
  path: "/jobs/{jobId}/shadow-result",
  hide: true,
  request: {
    params: z.object({ jobId: z.uuid() }),
    body: { required: true, content: { "application/json": { schema: ShadowResultSchema } } },
  },
  responses: {
    200: {
      description: "Recorded, or ignored",
      content: { "application/json": { schema: ShadowResultAnswerSchema } },
    },
  },
});

/**
 * What a shadow candidate found on a job's image (`common/contracts/shadow-result.ts`), sent by
 * the inference service after the job's own result. Stored apart from the job; every answer is 200.
 */
export const postShadowResult = createRouter().openapi(route, async (c) => {
  const { jobId } = c.req.valid("param");
  const result = c.req.valid("json");
  if (result.jobId !== jobId) {
    throw new ApiError("validation_failed", "Body jobId does not match the path", {
      details: { path: jobId, body: result.jobId },
    });
  }
  return c.json(await applyShadowResult(c.var.db, jobId, result), 200);
});
