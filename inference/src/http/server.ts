import { OpenAPIHono } from "@hono/zod-openapi";
import { requestId } from "hono/request-id";
import type { AppEnv, ServiceContext } from "./context";
import { errorBody, renderError, toHttpError } from "./errors";
import { mountDetect } from "./routes/detect";
import { mountOps } from "./routes/ops";

export type { ServiceContext } from "./context";

/** Builds the service's Hono app; `Bun.serve({ fetch: app.fetch })` runs it. */
export function createApp(ctx: ServiceContext): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>({
    defaultHook: (result, c) => {
      if (!result.success) {
        const message = result.error.issues
          .map((issue) => `${issue.path.join(".") || "body"}: ${issue.message}`)
          .join("; ");
        return c.json(errorBody(c, "validation_failed", message), 400);
      }
    },
  });
  app.use(requestId());
  app.onError((error, c) => {
    const failure = toHttpError(c, error, ctx.logger);
    ctx.metrics.errors.inc({ code: failure.code });
    return renderError(c, failure);
  });
  app.notFound((c) => c.json(errorBody(c, "not_found", `no route for ${c.req.method} ${c.req.path}`), 404));
  mountOps(app, ctx);
  mountDetect(app, ctx);
  app.openAPIRegistry.registerComponent("securitySchemes", "bearer", { type: "http", scheme: "bearer" });
  app.doc31("/openapi.json", { openapi: "3.1.0", info: { title: "Inference service", version: "1" } });
  return app;
}
