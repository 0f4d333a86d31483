import { authenticate } from "@edge/middleware/authenticate";
import { database } from "@edge/middleware/database";
import { rateLimit } from "@edge/middleware/rate-limit";
import { createRouter } from "@edge/openapi";
import { reviewRoutes } from "../reviews";
import { createJobs } from "./create";
import { jobEvents } from "./events";
import { exportJob, exportJobs } from "./exports";
import { getJob } from "./get";
import { listJobs } from "./list";

const readOrWrite = rateLimit((c) => (c.req.method === "GET" ? "read" : "write"));

export const jobsRouter = createRouter();
jobsRouter.use("*", database(), authenticate(), readOrWrite);
// The event routes come first: `/events` would otherwise be taken for a job id.
jobsRouter
  .route("/", jobEvents)
  .route("/", createJobs)
  .route("/", listJobs)
  .route("/", getJob)
  .route("/", exportJob)
  .route("/", reviewRoutes);

/** `POST /v1/exports`: several jobs at once. */
export const exportsRouter = createRouter();
exportsRouter.use("/exports", database(), authenticate(), readOrWrite);
exportsRouter.route("/", exportJobs);
