/**
 * Benchmark entry: the edge's real authentication, rate-limit and hashing code on bare routes,
 * so each cost can be measured against a baseline route in the same Worker.
 */
import { sql } from "drizzle-orm";
import { requestId } from "hono/request-id";
import { hashPassword } from "../../../edge/src/auth/passwords";
import type { Bindings } from "../../../edge/src/env";
import { authenticate } from "../../../edge/src/middleware/authenticate";
import { loadConfig } from "../../../edge/src/middleware/config";
import { database } from "../../../edge/src/middleware/database";
import { errorHandler } from "../../../edge/src/middleware/error-handler";
import { enforceRateLimit } from "../../../edge/src/middleware/rate-limit";
import { requestLog } from "../../../edge/src/middleware/request-log";
import { traceContext } from "../../../edge/src/middleware/trace-context";
import { createRouter } from "../../../edge/src/openapi";

export { JobEvents } from "../../../workers/src/job-events/durable-object";
export { RateLimiter } from "../../../workers/src/rate-limiter/durable-object";

const app = createRouter();
app.use(requestId(), loadConfig(), traceContext(), requestLog());
app.onError(errorHandler);
app.get("/baseline", database(), (c) => c.body(null, 204));
app.get("/database", database(), async (c) => {
  await c.var.db.execute(sql`select 1`);
  return c.body(null, 204);
});
app.get("/authenticated", database(), authenticate(), (c) => c.body(null, 204));
app.get("/rate-limited", async (c) => {
  await enforceRateLimit(c, "read", "bench");
  return c.body(null, 204);
});
app.get("/argon2", async (c) => {
  await hashPassword("bench-password-of-sixteen");
  return c.body(null, 204);
});

export default { fetch: app.fetch } satisfies ExportedHandler<Bindings>;
