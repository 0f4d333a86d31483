import { authenticate } from "@edge/middleware/authenticate";
import { database } from "@edge/middleware/database";
import { rateLimit } from "@edge/middleware/rate-limit";
import { createRouter } from "@edge/openapi";
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
