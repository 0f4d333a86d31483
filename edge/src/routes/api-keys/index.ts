import { authenticate } from "@edge/middleware/authenticate";
import { database } from "@edge/middleware/database";
import { rateLimit } from "@edge/middleware/rate-limit";
import { createRouter } from "@edge/openapi";
import { createApiKey } from "./create";
import { listApiKeys } from "./list";
import { revokeApiKey } from "./revoke";

export const apiKeysRouter = createRouter();
apiKeysRouter.use(
  "*",
  database(),
  authenticate(),
  rateLimit((c) => (c.req.method === "GET" ? "read" : "write")),
);
apiKeysRouter.route("/", createApiKey).route("/", listApiKeys).route("/", revokeApiKey);
