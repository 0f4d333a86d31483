import { operationsFigures } from "@edge/metrics/operations-figures";
import { createRouter } from "@edge/openapi";
import { createRoute, z } from "@hono/zod-openapi";

const QueueBacklogSchema = z.object({
  queued: z.number().int().nonnegative(),
  running: z.number().int().nonnegative(),
  /** queued + running: the work the services have in hand or ahead of them. */
  backlog: z.number().int().nonnegative(),
  oldestQueuedAgeSeconds: z.number().nonnegative(),
});

/**
 * The autoscalers' input, both read in one request: KEDA's metrics-api scaler reads `backlog`
 * (jobs, for inference) and `trainings.backlog` (training runs, for trainers).
 */
export const BacklogSchema = QueueBacklogSchema.extend({ trainings: QueueBacklogSchema });

const route = createRoute({
  method: "get",
  path: "/backlog",
  hide: true,
  responses: {
    200: {
      description: "The job and training backlogs",
      content: { "application/json": { schema: BacklogSchema } },
    },
  },
});

/** Jobs waiting for or in inference, runs waiting for or on a trainer; read-only, `OPERATIONS_TOKEN`. */
export const getBacklog = createRouter().openapi(route, async (c) => {
  const figures = await operationsFigures(c.var.db, c.var.config.OPERATIONS_CACHE_SECONDS);
  return c.json(
    {
      queued: figures.queued,
      running: figures.running,
      backlog: figures.queued + figures.running,
      oldestQueuedAgeSeconds: figures.oldestQueuedAgeSeconds,
      trainings: {
        queued: figures.trainings.queued,
        running: figures.trainings.running,
        backlog: figures.trainings.queued + figures.trainings.running,
        oldestQueuedAgeSeconds: figures.trainings.oldestQueuedAgeSeconds,
      },
    },
    200,
    { "Cache-Control": "no-store" },
  );
});
