import { authenticate } from "@edge/middleware/authenticate";
import { database } from "@edge/middleware/database";
import { rateLimit } from "@edge/middleware/rate-limit";
import { createRouter } from "@edge/openapi";
import { assessReport } from "./assess";
import { createReport } from "./create";
import { downloadReport } from "./download";
import { getReport } from "./get";
import { listReports } from "./list";

const readOrWrite = rateLimit((c) => (c.req.method === "GET" ? "read" : "write"));

/** `/v1/reports`: PDF inspection reports. */
export const reportsRouter = createRouter();
reportsRouter.use("*", database(), authenticate(), readOrWrite);
reportsRouter
  .route("/", assessReport)
  .route("/", createReport)
  .route("/", listReports)
  .route("/", getReport)
  .route("/", downloadReport);
