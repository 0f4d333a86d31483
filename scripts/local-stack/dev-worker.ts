/**
 * The Worker as the local stack runs it: the production entry module, plus the glue that stands in
 * for what Cloudflare does between the `detect` queue and its HTTP pull consumer. Production
 * never loads this file.
 * - `queue("detect")`, `queue("train")`: forwards each batch to the local Queues API
 *   (`queues-api.ts`) with its send-batch call, where the inference (trainer) service pulls it
 *   exactly as in production;
 * - `POST /__local/queues/{detect,train}/dead-letters`: messages whose retries the local Queues
 *   API has spent go onto `detect-dlq` (`train-dlq`), whose consumer is the production one.
 * Both need the local Queues API's token.
 */
import { createLogger, errorFields } from "@common/logger";
import { readConfig } from "@edge/config";
import type { Bindings } from "@edge/env";
import worker from "@workers/index";
import { z } from "zod";
import { deadLetterPath, devForwardedQueues, type ForwardedQueue } from "./queue-consumers";

export { JobEvents, RateLimiter, TrainingEvents } from "@workers/index";

export type DevBindings = Bindings & {
  /** Base URL of the local Queues API (`.../client/v4`), its account id and its token. */
  LOCAL_QUEUES_API: string;
  LOCAL_QUEUES_ACCOUNT: string;
  LOCAL_QUEUES_TOKEN: string;
  DETECT_DLQ: Queue<unknown>;
  TRAIN_DLQ: Queue<unknown>;
};

const isForwarded = (queue: string): queue is ForwardedQueue => Object.hasOwn(devForwardedQueues, queue);

/** Queues accept at most 100 messages per batch; the local API keeps the same rule. */
const SEND_BATCH_LIMIT = 100;

async function forwardToPullQueue(
  batch: MessageBatch<unknown>,
  env: DevBindings,
  queue: ForwardedQueue,
): Promise<void> {
  const url = `${env.LOCAL_QUEUES_API}/accounts/${env.LOCAL_QUEUES_ACCOUNT}/queues/${queue}/messages/batch`;
  try {
    for (let i = 0; i < batch.messages.length; i += SEND_BATCH_LIMIT) {
      const messages = batch.messages
        .slice(i, i + SEND_BATCH_LIMIT)
        .map((message) => ({ body: message.body, content_type: "json" }));
      const response = await fetch(url, {
        method: "POST",
        headers: { authorization: `Bearer ${env.LOCAL_QUEUES_TOKEN}`, "content-type": "application/json" },
        body: JSON.stringify({ messages }),
      });
      await response.body?.cancel();
      if (!response.ok) throw new Error(`local Queues API answered ${response.status}`);
    }
    batch.ackAll();
  } catch (error) {
    createLogger(readConfig(env).LOG_LEVEL, { queue: batch.queue }).warn(
      `${queue} batch not forwarded; retrying`,
      {
        messages: batch.messages.length,
        ...errorFields(error),
      },
    );
    batch.retryAll({ delaySeconds: 1 });
  }
}

/** What `deadLettersToWorker` (queue-consumers.ts) posts: the spent messages' bodies. */
const DeadLettersSchema = z.object({ messages: z.array(z.object({ body: z.unknown() })) });

async function acceptDeadLetters(
  request: Request,
  env: DevBindings,
  queue: ForwardedQueue,
): Promise<Response> {
  if (request.headers.get("authorization") !== `Bearer ${env.LOCAL_QUEUES_TOKEN}`) {
    return new Response(null, { status: 401 });
  }
  const parsed = DeadLettersSchema.safeParse(await request.json().catch(() => undefined));
  // A refusal makes the local Queues API keep the messages and offer them again.
  if (!parsed.success) return new Response(null, { status: 400 });
  const { messages } = parsed.data;
  if (messages.length > 0) {
    await env[devForwardedQueues[queue]].sendBatch(
      messages.map(({ body }) => ({ body, contentType: "json" as const })),
    );
  }
  return new Response(null, { status: 204 });
}

export default {
  fetch(request, env, ctx) {
    const path = new URL(request.url).pathname;
    const deadLetters = Object.keys(devForwardedQueues).find(
      (q) => deadLetterPath(q as ForwardedQueue) === path,
    );
    if (deadLetters && request.method === "POST") {
      return acceptDeadLetters(request, env, deadLetters as ForwardedQueue);
    }
    return worker.fetch(request, env, ctx);
  },
  queue(batch, env) {
    if (isForwarded(batch.queue)) return forwardToPullQueue(batch, env, batch.queue);
    return worker.queue(batch, env);
  },
  scheduled: worker.scheduled,
} satisfies ExportedHandler<DevBindings>;
