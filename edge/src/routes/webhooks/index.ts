import { authenticate } from "../../middleware/authenticate";
import { database } from "../../middleware/database";
import { rateLimit } from "../../middleware/rate-limit";
import { createRouter } from "../../openapi";
import { createWebhook } from "./create";
import { deleteWebhook } from "./delete";
import { listDeliveries } from "./deliveries";
import { listWebhooks } from "./list";

export const webhooksRouter = createRouter();
webhooksRouter.use(
  "*",
  database(),
  authenticate(),
  rateLimit((c) => (c.req.method === "GET" ? "read" : "write")),
);
webhooksRouter
  .route("/", createWebhook)
  .route("/", listWebhooks)
  .route("/", deleteWebhook)
  .route("/", listDeliveries);
