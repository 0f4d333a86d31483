import { authenticate } from "@edge/middleware/authenticate";
import { database } from "@edge/middleware/database";
import { rateLimit } from "@edge/middleware/rate-limit";
import { shedFullBacklog } from "@edge/middleware/shed-backlog";
import { createRouter } from "@edge/openapi";
import { reviewRoutes } from "../reviews";
import { createJobs } from "./create";
import { jobEvents } from "./events";
import { exportJob, exportJobs } from "./exports";
import { getJob } from "./get";
import { listJobs } from "./list";

const readOrWrite = rateLimit((c) => (c.req.method === "GET" ? "read" : "write"));

export const jobsRouter = createRouter();
jobsRouter.use("*", database());
// `POST /v1/jobs` only: a full backlog refuses creations before any lookup.
jobsRouter.use("/", shedFullBacklog());
jobsRouter.use("*", authenticate(), readOrWrite);
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
