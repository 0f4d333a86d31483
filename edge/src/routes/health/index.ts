import { createRouter } from "@edge/openapi";
import { createRoute, z } from "@hono/zod-openapi";
import { checkReadiness } from "./checks";

const CheckSchema = z
  .object({
    status: z.enum(["ok", "error", "skipped"]),
    required: z.boolean(),
    latencyMs: z.number().int(),
    message: z.string().optional(),
  })
  .openapi("DependencyCheck");

export const ReadinessSchema = z
  .object({
    status: z.enum(["ready", "unavailable"]),
    checks: z.record(z.string(), CheckSchema),
  })
  .openapi("Readiness");

const live = createRoute({
  method: "get",
  path: "/health",
  tags: ["Health"],
  summary: "Liveness",
  description: "Answers as long as the Worker runs; touches no dependency.",
  responses: {
    200: {
      description: "The Worker is running",
      content: { "application/json": { schema: z.object({ status: z.literal("ok") }) } },
    },
  },
});

const ready = createRoute({
  method: "get",
  path: "/health/ready",
  tags: ["Health"],
  summary: "Readiness",
  description:
    "Checks the database, image storage, the detection queue binding and (when configured) the inference service, each bounded by `HEALTH_CHECK_TIMEOUT_MS`. 503 when a required dependency fails.",
  responses: {
    200: {
      description: "Every required dependency answered",
      content: { "application/json": { schema: ReadinessSchema } },
    },
    503: {
      description: "A required dependency failed",
      content: { "application/json": { schema: ReadinessSchema } },
    },
  },
});

export const healthRouter = createRouter()
  .openapi(live, (c) => c.json({ status: "ok" as const }, 200))
  .openapi(ready, async (c) => {
    const { ready, checks } = await checkReadiness(c.env, c.var.config);
    c.header("Cache-Control", "no-store");
    if (!ready) {
      const failed = Object.entries(checks).filter(([, check]) => check.required && check.status !== "ok");
      c.var.logger.warn("not ready", { failed: Object.fromEntries(failed) });
      return c.json({ status: "unavailable" as const, checks }, 503);
    }
    return c.json({ status: "ready" as const, checks }, 200);
  });
