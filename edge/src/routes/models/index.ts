import { authenticate } from "@edge/middleware/authenticate";
import { database } from "@edge/middleware/database";
import { rateLimit } from "@edge/middleware/rate-limit";
import { allowBodyBytes } from "@edge/middleware/request-body";
import { createRouter } from "@edge/openapi";
import { evaluationRoutes } from "./evaluation";
import { getModel } from "./get";
import { listModels } from "./list";
import { promotionRoutes } from "./promote";
import { receiveModelFile } from "./receive";
import { shadowRoutes } from "./shadow";
import { modelUploadRoutes } from "./upload";
import { modelVersionRoutes } from "./versions";

const readOrWrite = rateLimit((c) => (c.req.method === "GET" ? "read" : "write"));

/** `/v1/models`: the shipped models and the owner's registry (versions, production alias, history). */
export const modelsRouter = createRouter();
modelsRouter.use("*", database(), authenticate(), readOrWrite);
modelsRouter
  .route("/", listModels)
  .route("/", getModel)
  .route("/", modelVersionRoutes)
  .route("/", modelUploadRoutes)
  .route("/", promotionRoutes)
  .route("/", evaluationRoutes)
  .route("/", shadowRoutes);

/** `/v1/model-uploads`: the signed `PUT` of a model file; the URL's signature is its credential. */
export const modelUploadsRouter = createRouter();
modelUploadsRouter.use(
  "*",
  database(),
  allowBodyBytes((config) => config.MAX_MODEL_BYTES),
);
modelUploadsRouter.route("/", receiveModelFile);
