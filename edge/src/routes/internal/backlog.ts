import { operationsFigures } from "@edge/metrics/operations-figures";
import { createRouter } from "@edge/openapi";
import { createRoute, z } from "@hono/zod-openapi";

/** The autoscaler's input (KEDA's metrics-api scaler reads `backlog`). */
export const BacklogSchema = z.object({
  queued: z.number().int().nonnegative(),
  running: z.number().int().nonnegative(),
  /** queued + running: the work inference has in hand or ahead of it. */
  backlog: z.number().int().nonnegative(),
  oldestQueuedAgeSeconds: z.number().nonnegative(),
});

const route = createRoute({
  method: "get",
  path: "/backlog",
  hide: true,
  responses: {
    200: { description: "The job backlog", content: { "application/json": { schema: BacklogSchema } } },
  },
});

/** Jobs waiting for or in inference; read-only, `OPERATIONS_TOKEN`. */
export const getBacklog = createRouter().openapi(route, async (c) => {
  const figures = await operationsFigures(c.var.db, c.var.config.OPERATIONS_CACHE_SECONDS);
  return c.json(
    {
      queued: figures.queued,
      running: figures.running,
      backlog: figures.queued + figures.running,
      oldestQueuedAgeSeconds: figures.oldestQueuedAgeSeconds,
    },
    200,
    { "Cache-Control": "no-store" },
  );
});
