import { createRoute, z } from "@hono/zod-openapi";
import { DetectResultSchema } from "../../contracts/detect-result";
import { ApiError } from "../../errors";
import { applyDetectResult } from "../../jobs/complete";
import { createRouter } from "../../openapi";
import { enqueueDeliveries } from "../../webhooks/deliveries";

const ResultAnswerSchema = z.object({
  outcome: z.enum(["applied", "duplicate", "conflict_ignored", "recorded_retry", "ignored"]),
});

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
  const { outcome, deliveryIds } = await applyDetectResult(c.var.db, result, c.var.logger);
  if (deliveryIds.length > 0) {
    try {
      await enqueueDeliveries(c.env.WEBHOOK_QUEUE, deliveryIds);
    } catch (error) {
      // The job is final either way; pending deliveries whose message was lost are re-sent by the sweeper.
      c.var.logger.error("webhook enqueue failed; the sweeper will send them", {
        jobId,
        error: error instanceof Error ? error.message : String(error),
      });
    }
  }
  return c.json({ outcome }, 200);
});
