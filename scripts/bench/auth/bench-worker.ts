/**
 * Benchmark entry: the edge's real authentication, rate-limit and hashing code on bare routes,
 * so each cost can be measured against a baseline route in the same Worker.
 */

import { keyRing, verifyAccessToken } from "@edge/auth/access-tokens";
import { hashPassword } from "@edge/auth/passwords";
import type { Bindings } from "@edge/env";
import { authenticate } from "@edge/middleware/authenticate";
import { loadConfig } from "@edge/middleware/config";
import { database } from "@edge/middleware/database";
import { errorHandler } from "@edge/middleware/error-handler";
import { enforceRateLimit } from "@edge/middleware/rate-limit";
import { requestLog } from "@edge/middleware/request-log";
import { traceContext } from "@edge/middleware/trace-context";
import { createRouter } from "@edge/openapi";
import { sql } from "drizzle-orm";
import { requestId } from "hono/request-id";

// Every Durable Object class the Worker's configuration binds, whichever they are.
export * from "@workers/index";

const app = createRouter();
app.use(requestId(), loadConfig(), traceContext(), requestLog());
app.onError(errorHandler);
app.get("/baseline", database(), (c) => c.body(null, 204));
app.get("/database", database(), async (c) => {
  await c.var.db.execute(sql`select 1`);
  return c.body(null, 204);
});
app.get("/jwt-verify", async (c) => {
  const { config } = c.var;
  const token = c.req.header("Authorization")?.replace(/^Bearer\s+/i, "") ?? "";
  const settings = {
    issuer: config.JWT_ISSUER,
    audience: config.JWT_AUDIENCE,
    ttlSeconds: config.ACCESS_TOKEN_TTL_SECONDS,
  };
  await verifyAccessToken(await keyRing(config.JWT_KEYS), settings, token);
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
