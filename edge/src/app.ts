import { cors } from "hono/cors";
import { requestId } from "hono/request-id";
import { secureHeaders } from "hono/secure-headers";
import type { AppEnv } from "./env";
import { requestMetrics } from "./metrics/request-metrics";
import { loadConfig } from "./middleware/config";
import { errorHandler, notFoundHandler } from "./middleware/error-handler";
import { allowedMethods } from "./middleware/method-not-allowed";
import { requestBody } from "./middleware/request-body";
import { requestLog } from "./middleware/request-log";
import { traceContext } from "./middleware/trace-context";
import { createRouter } from "./openapi";
import { adminRouter } from "./routes/admin/users";
import { apiKeysRouter } from "./routes/api-keys";
import { authRouter } from "./routes/auth";
import { datasetsRouter } from "./routes/datasets";
import { mountDocs } from "./routes/docs";
import { healthRouter } from "./routes/health";
import { imagesRouter } from "./routes/images";
import { internalRouter } from "./routes/internal";
import { internalTrainingsRouter } from "./routes/internal/trainings";
import { exportsRouter, jobsRouter } from "./routes/jobs";
import { meRouter } from "./routes/me";
import { modelsRouter, modelUploadsRouter } from "./routes/models";
import { reportsRouter } from "./routes/reports";
import { trainingsRouter } from "./routes/trainings";
import { webAppRouter } from "./routes/web-app";
import { webhooksRouter } from "./routes/webhooks";
import { wellKnownRouter } from "./routes/well-known";

const exposedHeaders = [
  "X-Request-Id",
  "Location",
  "Retry-After",
  "RateLimit",
  "RateLimit-Policy",
  // Reviews: the version to send as If-Match. Exports: which detection set they hold.
  "ETag",
  "Detection-Set",
];

/** Builds the edge application: shared middleware, one router per resource, docs. */
export function createApp() {
  const app = createRouter();

  app.use(requestId({ headerName: "X-Request-Id" }));
  app.use(loadConfig());
  app.use(requestBody());
  app.use(traceContext());
  app.use(requestLog());
  app.use(requestMetrics());
  // Nothing the edge serves is meant to be framed (the app pages also say so in their CSP).
  app.use(secureHeaders({ xFrameOptions: "DENY" }));
  app.use(
    cors({
      origin: (origin, c) =>
        (c.var.config as AppEnv["Variables"]["config"]).CORS_ORIGINS.includes(origin) ? origin : null,
      exposeHeaders: exposedHeaders,
      maxAge: 600,
    }),
  );

  app.route("/", healthRouter);
  app.route("/", wellKnownRouter);
  app.route("/v1/auth", authRouter);
  app.route("/v1", meRouter);
  app.route("/v1/api-keys", apiKeysRouter);
  app.route("/v1/admin", adminRouter);
  app.route("/v1/webhooks", webhooksRouter);
  // Hidden from the public OpenAPI document; the inference service is its only client.
  app.route("/internal/v1", internalRouter);
  // The trainer service's calls (claim, items, progress, upload, finish).
  app.route("/internal/v1", internalTrainingsRouter);
  app.route("/v1/images", imagesRouter);
  app.route("/v1/jobs", jobsRouter);
  app.route("/v1", exportsRouter);
  app.route("/v1/reports", reportsRouter);
  app.route("/v1/datasets", datasetsRouter);
  app.route("/v1/trainings", trainingsRouter);
  app.route("/v1/models", modelsRouter);
  app.route("/v1/model-uploads", modelUploadsRouter);

  app.openAPIRegistry.registerComponent("securitySchemes", "bearerAuth", {
    type: "http",
    scheme: "bearer",
    description: "An access token from `/v1/auth/login` or an API key (`ddk_...`).",
  });
  mountDocs(app);
  // Last: the web app's entry for its deep links, reached only by paths no asset matched.
  app.route("/", webAppRouter);

  app.notFound(notFoundHandler(allowedMethods(app.routes)));
  app.onError(errorHandler);
  return app;
}

export type App = ReturnType<typeof createApp>;
