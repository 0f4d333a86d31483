import { authenticate } from "@edge/middleware/authenticate";
import { database } from "@edge/middleware/database";
import { rateLimit } from "@edge/middleware/rate-limit";
import { createRouter } from "@edge/openapi";
import { assessReport } from "./assess";
import { createReport } from "./create";
import { downloadReport } from "./download";
import { getReport } from "./get";
import { listReports } from "./list";

// An assessment stores nothing (the web form asks for one as the inspector types): a read.
const readOrWrite = rateLimit((c) =>
  c.req.method === "GET" || c.req.path.endsWith("/assessment") ? "read" : "write",
);

/** `/v1/reports`: PDF inspection reports. */
export const reportsRouter = createRouter();
reportsRouter.use("*", database(), authenticate(), readOrWrite);
reportsRouter
  .route("/", assessReport)
  .route("/", createReport)
  .route("/", listReports)
  .route("/", getReport)
  .route("/", downloadReport);
