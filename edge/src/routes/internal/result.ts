import { DetectResultSchema, ResultAnswerSchema } from "@common/contracts/detect-result";
import { ApiError } from "@edge/errors";
import { announceFinished, applyDetectResult } from "@edge/jobs/complete";
import { writeJobPoint } from "@edge/metrics/analytics";
import { createRouter } from "@edge/openapi";
import { createRoute, z } from "@hono/zod-openapi";

const route = createRoute({
  method: "post",
  path: "/jobs/{jobId}/result",
  hide: true,
  request: {
    params: z.object({ jobId: z.uuid() }),
    body: { required: true, content: { "application/json": { schema: DetectResultSchema } } },
  },
  responses: {
    200: { description: "Result handled", content: { "application/json": { schema: ResultAnswerSchema } } },
  },
});

/**
 * The inference service's result callback. Every outcome is a 2xx, so inference acks the
 * message; only a failure to record (database down) answers 5xx and makes it try again.
 */
export const postJobResult = createRouter().openapi(route, async (c) => {
  const { jobId } = c.req.valid("param");
  const result = c.req.valid("json");
  if (result.jobId !== jobId) {
    throw new ApiError("validation_failed", "Body jobId does not match the path", {
      details: { path: jobId, body: result.jobId },
    });
  }
  const { outcome, finished } = await applyDetectResult(c.var.db, result, c.var.logger);
  if (finished) {
    writeJobPoint(c.env.METRICS, finished.event.job, "result", c.var.logger);
    await announceFinished(c.env, finished, c.var.logger);
  }
  return c.json({ outcome }, 200);
});
