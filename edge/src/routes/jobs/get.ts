import { ApiError } from "@edge/errors";
import { isFinal, type JobEventFeed, subscribeJobEvents } from "@edge/jobs/events";
import { toJob } from "@edge/jobs/views";
import { requireScope } from "@edge/middleware/authenticate";
import { createRouter, errorResponse } from "@edge/openapi";
import { createRoute, z } from "@hono/zod-openapi";
import { authErrorResponses, bearerSecurity } from "../common-responses";
import { ownedJob } from "./owned";
import { JobIdParamSchema, JobSchema } from "./schema";

const route = createRoute({
  method: "get",
  path: "/{id}",
  tags: ["Jobs"],
  summary: "A job, with its detections once it succeeded",
  description:
    "`wait=N` long-polls: the answer comes as soon as the job has finished, or after N seconds with its current state (at most JOB_WAIT_MAX_SECONDS). A waiting request holds no database connection: it is woken by the result itself. Needs `jobs:read`.",
  security: bearerSecurity,
  request: {
    params: JobIdParamSchema,
    query: z.object({
      wait: z.coerce
        .number()
        .int()
        .min(0)
        .default(0)
        .openapi({ description: "Seconds to wait for completion" }),
    }),
  },
  responses: {
    200: { description: "The job", content: { "application/json": { schema: JobSchema } } },
    400: errorResponse("Invalid `wait` (`validation_failed`)"),
    404: errorResponse("No such job among yours (`not_found`)"),
    503: errorResponse("Too many open waits (`service_unavailable`); retry after `Retry-After`"),
    ...authErrorResponses,
  },
});

export const getJob = createRouter().openapi(route, async (c) => {
  const principal = requireScope(c, "jobs:read");
  const { id } = c.req.valid("param");
  const { wait } = c.req.valid("query");
  if (wait > c.var.config.JOB_WAIT_MAX_SECONDS) {
    throw new ApiError(
      "validation_failed",
      `wait must be at most ${c.var.config.JOB_WAIT_MAX_SECONDS} seconds`,
    );
  }
  if (wait === 0) {
    const current = await ownedJob(c.var.db, principal.userId, id);
    return c.json(toJob(current.job, current.image, current.detections), 200);
  }

  // Subscribe before reading, so a result landing in between is not missed.
  const deadline = Date.now() + wait * 1000;
  const heartbeatMs = c.var.config.JOB_EVENTS_HEARTBEAT_SECONDS * 1000;
  const subscribe = () => subscribeJobEvents(c.env, c.executionCtx, principal.userId, id);
  let feed: JobEventFeed | null = await subscribe();
  try {
    let current = await ownedJob(c.var.db, principal.userId, id);
    if (!isFinal(current.job.status)) {
      for (let finished = false; feed !== null && !finished && Date.now() < deadline; ) {
        // Asking at least every heartbeat tells the subscription this wait is still there.
        const next = await feed.next(Math.min(deadline - Date.now(), heartbeatMs));
        if (Array.isArray(next)) {
          finished = next.some((event) => isFinal(event.job.status));
          continue;
        }
        // The subscription was lost: subscribe again from this request, then look, since a result
        // may have been missed. Refused, the wait answers the job as it stands now.
        feed.close();
        feed = await subscribe().catch(() => null);
        finished = isFinal((await ownedJob(c.var.db, principal.userId, id)).job.status);
      }
      // Finished or timed out: the answer is the database's state now, whatever the events said.
      current = await ownedJob(c.var.db, principal.userId, id);
    }
    return c.json(toJob(current.job, current.image, current.detections), 200);
  } finally {
    feed?.close();
  }
});
