import { encodeJobEvent, isFinal, jobEvent, subscribeJobEvents } from "@edge/jobs/events";
import { requireScope } from "@edge/middleware/authenticate";
import { createRouter, errorResponse } from "@edge/openapi";
import { createRoute, z } from "@hono/zod-openapi";
import { authErrorResponses, bearerSecurity } from "../common-responses";
import { ownedJob } from "./owned";
import { JobIdParamSchema } from "./schema";

const eventStream = {
  description: [
    "`text/event-stream`: one `event: job.<status>` block per change, whose `data` is",
    '`{"type", "job": {id, status, imageId, model, modelVersion, modelSha256, attempts, error,',
    "detectionCount, createdAt, startedAt, finishedAt}}`, and keep-alive comments.",
  ].join(" "),
  content: { "text/event-stream": { schema: z.string() } },
};

const streamHeaders = {
  "content-type": "text/event-stream",
  "cache-control": "no-store",
  // Tells buffering reverse proxies to pass events through as they come.
  "x-accel-buffering": "no",
};

const encoder = new TextEncoder();

const allJobs = createRoute({
  method: "get",
  path: "/events",
  tags: ["Jobs"],
  summary: "Live changes of all your jobs",
  description:
    "An event stream of every change to the caller's jobs from now on (`running`, `succeeded`, `failed`). Needs `jobs:read`.",
  security: bearerSecurity,
  responses: {
    200: eventStream,
    503: errorResponse("Too many open streams (`service_unavailable`); retry after `Retry-After`"),
    ...authErrorResponses,
  },
});

const oneJob = createRoute({
  method: "get",
  path: "/{id}/events",
  tags: ["Jobs"],
  summary: "Live changes of one job",
  description:
    "An event stream that starts with the job's current state, then each change. When the job is already finished the stream holds that one event and ends. Needs `jobs:read`.",
  security: bearerSecurity,
  request: { params: JobIdParamSchema },
  responses: {
    200: eventStream,
    404: errorResponse("No such job among yours (`not_found`)"),
    503: errorResponse("Too many open streams (`service_unavailable`); retry after `Retry-After`"),
    ...authErrorResponses,
  },
});

export const jobEvents = createRouter()
  .openapi(allJobs, async (c) => {
    const principal = requireScope(c, "jobs:read");
    const events = await subscribeJobEvents(c.env, principal.userId);
    return c.body(events, 200, streamHeaders);
  })
  .openapi(oneJob, async (c) => {
    const principal = requireScope(c, "jobs:read");
    const { id } = c.req.valid("param");
    // Subscribe before reading, so a change landing in between is not missed.
    const events = await subscribeJobEvents(c.env, principal.userId, id);
    let current: Awaited<ReturnType<typeof ownedJob>>;
    try {
      current = await ownedJob(c.var.db, principal.userId, id);
    } catch (error) {
      await events.cancel();
      throw error;
    }
    const snapshot = encoder.encode(encodeJobEvent(jobEvent(current.job, current.detections?.length ?? 0)));
    if (isFinal(current.job.status)) {
      await events.cancel();
      return c.body(snapshot, 200, streamHeaders);
    }
    const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
    const writer = writable.getWriter();
    void writer
      .write(snapshot)
      .then(() => writer.releaseLock())
      .then(() => events.pipeTo(writable))
      .catch(() => events.cancel().catch(() => {}));
    return c.body(readable, 200, streamHeaders);
  });
