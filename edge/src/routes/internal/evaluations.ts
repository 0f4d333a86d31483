import {
  EvaluationClaimRequestSchema,
  EvaluationClaimSchema,
  EvaluationProgressAnswerSchema,
  EvaluationProgressSchema,
  EvaluationResultAnswerSchema,
  EvaluationResultSchema,
} from "@common/contracts/evaluation";
import { ApiError } from "@edge/errors";
import { claimEvaluation, recordProgress } from "@edge/evaluations/claim";
import { applyEvaluationResult } from "@edge/evaluations/result";
import { createRouter } from "@edge/openapi";
import { createRoute, z } from "@hono/zod-openapi";

const params = z.object({ evaluationId: z.uuid() });
const json = <T extends z.ZodType>(schema: T) => ({
  required: true,
  content: { "application/json": { schema } },
});

const claimRoute = createRoute({
  method: "post",
  path: "/evaluations/{evaluationId}/claim",
  hide: true,
  request: { params, body: json(EvaluationClaimRequestSchema) },
  responses: {
    200: {
      description: "Claimed, busy with another attempt, or finished",
      content: { "application/json": { schema: EvaluationClaimSchema } },
    },
  },
});

const progressRoute = createRoute({
  method: "post",
  path: "/evaluations/{evaluationId}/progress",
  hide: true,
  request: { params, body: json(EvaluationProgressSchema) },
  responses: {
    200: {
      description: "Go on, or stop",
      content: { "application/json": { schema: EvaluationProgressAnswerSchema } },
    },
  },
});

const resultRoute = createRoute({
  method: "post",
  path: "/evaluations/{evaluationId}/result",
  hide: true,
  request: { params, body: json(EvaluationResultSchema) },
  responses: {
    200: {
      description: "Result handled",
      content: { "application/json": { schema: EvaluationResultAnswerSchema } },
    },
  },
});

/**
 * The inference service's side of an evaluation (`common/contracts/evaluation.ts`): claim,
 * heartbeat, result. Every answer is 200; only a failure to record (database down) is not, and
 * the service tries again.
 */
export const evaluationInternalRoutes = createRouter()
  .openapi(claimRoute, async (c) => {
    const { evaluationId } = c.req.valid("param");
    const claim = await claimEvaluation(c.var.db, c.var.config, evaluationId);
    c.var.logger.info("evaluation claim", { evaluationId, outcome: claim.outcome });
    return c.json(claim, 200);
  })
  .openapi(progressRoute, async (c) => {
    const { evaluationId } = c.req.valid("param");
    const { attempt } = c.req.valid("json");
    return c.json(await recordProgress(c.var.db, evaluationId, attempt), 200);
  })
  .openapi(resultRoute, async (c) => {
    const { evaluationId } = c.req.valid("param");
    const result = c.req.valid("json");
    if (result.evaluationId !== evaluationId) {
      throw new ApiError("validation_failed", "Body evaluationId does not match the path", {
        details: { path: evaluationId, body: result.evaluationId },
      });
    }
    const answer = await applyEvaluationResult(c.var.db, evaluationId, result);
    c.var.logger.info("evaluation result", { evaluationId, status: result.status, outcome: answer.outcome });
    return c.json(answer, 200);
  });
