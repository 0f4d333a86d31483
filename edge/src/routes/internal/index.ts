import { database } from "@edge/middleware/database";
import { allowBodyBytes } from "@edge/middleware/request-body";
import { createRouter } from "@edge/openapi";
import { getBacklog } from "./backlog";
import { postJobClaim } from "./claim";
import { evaluationInternalRoutes } from "./evaluations";
import { postShadowResult } from "./evaluations-shadow";
import { getMetrics } from "./metrics";
import { readSignedObject } from "./objects";
import { postJobResult } from "./result";
import { serviceAuth } from "./service-auth";

/**
 * The API the inference service and operations tools call, mounted at `/internal/v1`. Its routes
 * are hidden from the public OpenAPI document. Signed object reads carry their own credential
 * (the URL signature); job claims and results need the callback token
 * (`INFERENCE_CALLBACK_TOKEN`); the read-only backlog and metrics need `OPERATIONS_TOKEN`.
 */
export const internalRouter = createRouter();
internalRouter.use(
  "/jobs/*",
  allowBodyBytes((config) => config.MAX_CALLBACK_BODY_BYTES),
  serviceAuth("INFERENCE_CALLBACK_TOKEN"),
  database(),
);
internalRouter.use(
  "/evaluations/*",
  allowBodyBytes((config) => config.MAX_CALLBACK_BODY_BYTES),
  serviceAuth("INFERENCE_CALLBACK_TOKEN"),
  database(),
);
internalRouter.use("/backlog", serviceAuth("OPERATIONS_TOKEN"), database());
internalRouter.use("/metrics", serviceAuth("OPERATIONS_TOKEN"), database());
internalRouter
  .route("/", readSignedObject)
  .route("/", postJobClaim)
  .route("/", postJobResult)
  .route("/", evaluationInternalRoutes)
  .route("/", postShadowResult)
  .route("/", getBacklog)
  .route("/", getMetrics);
