import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv, ServiceContext } from "../context";

export const ModelInfoSchema = z.object({
  name: z.string(),
  version: z.string(),
  sha256: z.string(),
  classes: z.array(z.string()),
  inputSize: z.object({ width: z.number().int(), height: z.number().int() }),
  layout: z.enum(["ultralytics", "yolov5", "end2end"]),
  dynamicBatch: z.boolean(),
  maxBatch: z.number().int(),
  default: z.boolean(),
});

export const ModelsSchema = z.object({ models: z.array(ModelInfoSchema) });

const modelsRoute = createRoute({
  method: "get",
  path: "/v1/models",
  summary: "Models this instance serves",
  responses: {
    200: {
      description: "Served models",
      content: { "application/json": { schema: ModelsSchema } },
    },
  },
});

export function mountOps(app: OpenAPIHono<AppEnv>, ctx: ServiceContext): void {
  app.get("/health", (c) => c.json({ status: "ok" }));

  app.get("/ready", (c) => {
    const ready = ctx.models.ready && !ctx.isShuttingDown();
    const body = {
      status: ready ? "ready" : "not_ready",
      shuttingDown: ctx.isShuttingDown(),
      models: ctx.models.list().map((d) => d.info.name),
      failedModels: ctx.models.failures,
    };
    return c.json(body, ready ? 200 : 503);
  });

  app.get("/metrics", async (c) => {
    c.header("content-type", ctx.metrics.registry.contentType);
    return c.body(await ctx.metrics.registry.metrics());
  });

  app.openapi(modelsRoute, (c) =>
    c.json(
      {
        models: ctx.models.list().map(({ info }) => ({
          name: info.name,
          version: info.version,
          sha256: info.sha256,
          classes: info.classNames,
          inputSize: { width: info.inputWidth, height: info.inputHeight },
          layout: info.layout,
          dynamicBatch: info.dynamicBatch,
          maxBatch: info.maxBatch,
          default: info.name === ctx.models.defaultModel,
        })),
      },
      200,
    ),
  );
}
