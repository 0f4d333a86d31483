import { authenticate } from "../../middleware/authenticate";
import { database } from "../../middleware/database";
import { rateLimit } from "../../middleware/rate-limit";
import { createRouter } from "../../openapi";
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
