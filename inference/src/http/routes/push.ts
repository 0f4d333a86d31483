import { PushBatchSchema, PushResponseSchema } from "@common/contracts/push-batch";
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { InferenceError } from "@inference/errors";
import { handlePushBatch } from "@inference/sources/push";
import { serviceAuth } from "../auth";
import type { AppEnv, ServiceContext } from "../context";
import { ErrorBodySchema } from "../errors";

const pushRoute = createRoute({
  method: "post",
  path: "/v1/queue/push",
  summary: "Process a batch pushed by the Worker's queue handler (local development)",
  security: [{ bearer: [] }],
  request: { body: { required: true, content: { "application/json": { schema: PushBatchSchema } } } },
  responses: {
    200: {
      description: "Per-message outcome: ack, or retry later",
      content: { "application/json": { schema: PushResponseSchema } },
    },
    400: {
      description: "Invalid batch (`validation_failed`, `malformed_json`)",
      content: { "application/json": { schema: ErrorBodySchema } },
    },
    401: {
      description: "Missing or wrong token",
      content: { "application/json": { schema: ErrorBodySchema } },
    },
    503: {
      description: "Shutting down or no edge",
      content: { "application/json": { schema: ErrorBodySchema } },
    },
  },
});

export function mountPush(app: OpenAPIHono<AppEnv>, ctx: ServiceContext): void {
  app.use("/v1/queue/push", serviceAuth(ctx.config.API_TOKEN));
  app.openapi(pushRoute, async (c) => {
    const processor = ctx.processor;
    if (processor === null) {
      throw new InferenceError(
        "not_configured",
        "INFERENCE_EDGE_URL and INFERENCE_CALLBACK_TOKEN are not set",
      );
    }
    if (ctx.isShuttingDown()) throw new InferenceError("shutting_down", "the service is shutting down");
    const batch = c.req.valid("json");
    const response = await handlePushBatch(batch, (message, attempts) =>
      processor.process(message, attempts, "push"),
    );
    return c.json(response, 200);
  });
}
