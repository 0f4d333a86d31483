import { encodeReconnect } from "@edge/jobs/events";
import { requireScope } from "@edge/middleware/authenticate";
import { createRouter, errorResponse } from "@edge/openapi";
import { sseEvent, subscribeTraining, trainingEvent } from "@edge/trainings/events";
import { ownedTraining } from "@edge/trainings/owned";
import { finalTrainingStatuses } from "@edge/trainings/views";
import { createRoute, z } from "@hono/zod-openapi";
import { authErrorResponses, bearerSecurity } from "../common-responses";
import { TrainingIdParamSchema } from "./schema";

const route = createRoute({
  method: "get",
  path: "/{id}/events",
  tags: ["Trainings"],
  summary: "Follow a training run (server-sent events)",
  description: [
    "A `text/event-stream`: first the run's current state, then one event per change",
    "(`training.running` per claim and epoch, `training.queued` for a retry, then",
    "`training.succeeded`, `training.failed` or `training.cancelled`, after which the stream ends).",
    "It also ends, with an `event: reconnect` whose `reason` is `credential_expired`, when the",
    "access token (or API key) that opened it expires.",
    "Each event's data is the run as `GET /v1/trainings/{id}` shows it. Needs `trainings:read`.",
  ].join(" "),
  security: bearerSecurity,
  request: { params: TrainingIdParamSchema },
  responses: {
    200: { description: "The event stream", content: { "text/event-stream": { schema: z.string() } } },
    404: errorResponse("No such run among yours (`not_found`)"),
    ...authErrorResponses,
  },
});

const encoder = new TextEncoder();

/**
 * Relays the run's events until they end or the credential that opened the stream expires; then
 * a last `reconnect` event says why (sign in again or refresh, and reconnect), as job streams do.
 */
async function relayUntil(
  events: ReadableStream<Uint8Array>,
  writable: WritableStream<Uint8Array>,
  expiresAt: Date | null,
): Promise<void> {
  if (expiresAt === null) return events.pipeTo(writable);
  const reader = events.getReader();
  const writer = writable.getWriter();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<"expired">((resolve) => {
    timer = setTimeout(() => resolve("expired"), Math.max(0, expiresAt.getTime() - Date.now()));
  });
  try {
    for (;;) {
      const next = await Promise.race([reader.read(), expired]);
      if (next === "expired") {
        await writer.write(encoder.encode(encodeReconnect("credential_expired", null)));
        await reader.cancel();
        break;
      }
      if (next.done) break;
      await writer.write(next.value);
    }
  } finally {
    clearTimeout(timer);
    await writer.close();
  }
}

export const trainingEvents = createRouter().openapi(route, async (c) => {
  const principal = requireScope(c, "trainings:read");
  const { id } = c.req.valid("param");
  await ownedTraining(c.var.db, principal.userId, id);
  // Subscribed before the state is read, so no change falls between the two.
  const subscription = await subscribeTraining(c.env, id, c.req.raw);
  const run = await ownedTraining(c.var.db, principal.userId, id);
  const first = encoder.encode(
    `retry: ${c.var.config.EVENT_STREAM_RETRY_MS}\n${sseEvent(trainingEvent(run))}`,
  );
  const final = (finalTrainingStatuses as readonly string[]).includes(run.status);
  const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
  c.executionCtx.waitUntil(
    (async () => {
      const writer = writable.getWriter();
      await writer.write(first);
      writer.releaseLock();
      if (final || !subscription.body) {
        await subscription.body?.cancel();
        await writable.close();
        return;
      }
      await relayUntil(subscription.body, writable, principal.expiresAt);
    })().catch(() => {}),
  );
  return new Response(readable, {
    status: 200,
    headers: { "content-type": "text/event-stream", "cache-control": "no-store", "x-accel-buffering": "no" },
  }) as never;
});
