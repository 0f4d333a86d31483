import { authenticate } from "@edge/middleware/authenticate";
import { database } from "@edge/middleware/database";
import { rateLimit } from "@edge/middleware/rate-limit";
import { createRouter } from "@edge/openapi";
import { cancelTraining } from "./cancel";
import { postTraining } from "./create";
import { trainingEvents } from "./events";
import { getTraining } from "./get";
import { listTrainings } from "./list";

/** `/v1/trainings`: fine-tuning runs on a trainer, from a dataset version and a base model. */
export const trainingsRouter = createRouter();
trainingsRouter.use(
  "*",
  database(),
  authenticate(),
  rateLimit((c) => (c.req.method === "GET" ? "read" : "write")),
);
trainingsRouter
  .route("/", postTraining)
  .route("/", listTrainings)
  .route("/", getTraining)
  .route("/", cancelTraining)
  .route("/", trainingEvents);
