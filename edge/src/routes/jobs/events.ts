import type { Config } from "@edge/config";
import {
  encodeJobEvent,
  encodeReconnect,
  isFinal,
  type JobEvent,
  type JobEventFeed,
  jobEvent,
  jobEventId,
  subscribeJobEvents,
} from "@edge/jobs/events";
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
    "detectionCount, createdAt, startedAt, finishedAt}}`, and keep-alive comments. It opens with",
    "a `retry:` delay (jittered per stream). A client more than EVENT_STREAM_MAX_BUFFERED_EVENTS",
    'behind is sent a last `event: reconnect` block (`{"type": "reconnect", "reason", "lastEventId"}`)',
    "and the stream ends: reconnect after the delay and re-read the state you follow. The stream",
    "also ends, with `reason: credential_expired`, when the access token (or API key) that opened",
    "it expires: refresh it, then reconnect.",
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

/** `retry:` of one stream: spread, so the streams a deploy ends do not reconnect in step. */
const retryMs = (config: Config) =>
  config.EVENT_STREAM_RETRY_MS + Math.floor(Math.random() * (config.EVENT_STREAM_RETRY_JITTER_MS + 1));

/**
 * The stream's body, pulled: the next events are taken from the feed only when the client has
 * read what came before, so at most EVENT_STREAM_MAX_BUFFERED_EVENTS wait in memory for a slow
 * client (the feed ends past that), and an idle stream gets a keep-alive comment each heartbeat.
 * It ends when the credential that opened it expires (`expiresAt`), as every request would.
 */
function eventStreamBody(
  feed: JobEventFeed,
  config: Config,
  expiresAt: Date | null,
  snapshot?: JobEvent,
): ReadableStream<Uint8Array> {
  const heartbeatMs = config.JOB_EVENTS_HEARTBEAT_SECONDS * 1000;
  let lastEventId = snapshot ? jobEventId(snapshot) : null;
  const first = snapshot ? encodeJobEvent(snapshot) : "";
  return new ReadableStream<Uint8Array>({
    start(controller) {
      // Sent at once so intermediaries and clients see the stream open before the first event.
      controller.enqueue(encoder.encode(`: subscribed\nretry: ${retryMs(config)}\n\n${first}`));
    },
    async pull(controller) {
      const left = expiresAt === null ? heartbeatMs : expiresAt.getTime() - Date.now();
      if (left <= 0) {
        feed.close();
        controller.enqueue(encoder.encode(encodeReconnect("credential_expired", lastEventId)));
        controller.close();
        return;
      }
      const next = await feed.next(Math.min(heartbeatMs, left));
      if (!Array.isArray(next)) {
        controller.enqueue(encoder.encode(encodeReconnect(next, lastEventId)));
        controller.close();
      } else if (next.length === 0) {
        controller.enqueue(encoder.encode(": keep-alive\n\n"));
      } else {
        lastEventId = jobEventId(next[next.length - 1] as (typeof next)[number]);
        controller.enqueue(encoder.encode(next.map(encodeJobEvent).join("")));
      }
    },
    cancel() {
      feed.close();
    },
  });
}

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
    const feed = await subscribeJobEvents(c.env, c.executionCtx, principal.userId);
    return c.body(eventStreamBody(feed, c.var.config, principal.expiresAt), 200, streamHeaders);
  })
  .openapi(oneJob, async (c) => {
    const principal = requireScope(c, "jobs:read");
    const { id } = c.req.valid("param");
    // Subscribe before reading, so a change landing in between is not missed.
    const feed = await subscribeJobEvents(c.env, c.executionCtx, principal.userId, id);
    let current: Awaited<ReturnType<typeof ownedJob>>;
    try {
      current = await ownedJob(c.var.db, principal.userId, id);
    } catch (error) {
      feed.close();
      throw error;
    }
    const snapshot = jobEvent(current.job, current.detections?.length ?? 0);
    if (isFinal(current.job.status)) {
      feed.close();
      return c.body(encoder.encode(encodeJobEvent(snapshot)), 200, streamHeaders);
    }
    return c.body(eventStreamBody(feed, c.var.config, principal.expiresAt, snapshot), 200, streamHeaders);
  });
