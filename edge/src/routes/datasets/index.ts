import { authenticate } from "@edge/middleware/authenticate";
import { database } from "@edge/middleware/database";
import { rateLimit } from "@edge/middleware/rate-limit";
import { allowBodyBytes } from "@edge/middleware/request-body";
import { createRouter } from "@edge/openapi";
import { createDataset, isZipRequest } from "./create";
import { getDataset } from "./get";
import { listDatasetItems } from "./items";
import { listDatasets } from "./list";

const readOrWrite = rateLimit((c) => (c.req.method === "GET" ? "read" : "write"));
const archiveBody = allowBodyBytes((config) => config.DATASET_MAX_ARCHIVE_BYTES);

/** `/v1/datasets`: immutable dataset versions, from reviews or imported archives. */
export const datasetsRouter = createRouter();
datasetsRouter.use("*", database(), authenticate(), readOrWrite);
// Only an archive may be large; a JSON body keeps the ordinary limit.
datasetsRouter.use("/", (c, next) =>
  c.req.method === "POST" && isZipRequest(c) ? archiveBody(c, next) : next(),
);
datasetsRouter
  .route("/", createDataset)
  .route("/", listDatasets)
  .route("/", getDataset)
  .route("/", listDatasetItems);
