/**
 * The Worker as the local stack runs it: the production entry module, plus the glue that stands in
 * for what Cloudflare does between the `detect` queue and its HTTP pull consumer. Production
 * never loads this file.
 * - `DETECT_QUEUE`, `TRAIN_QUEUE`: producers that send straight to the local Queues API
 *   (`queues-api.ts`, in the `npm run dev` process), where the inference (trainer) service pulls
 *   exactly as in production. No message waits in workerd's memory, so a killed wrangler or
 *   workerd loses none; a failed send throws, as a real binding's does.
 * - `POST /__local/queues/{detect,train}/dead-letters`: messages whose retries the local Queues
 *   API has spent go onto `detect-dlq` (`train-dlq`), whose consumer is the production one.
 * Both need the local Queues API's token.
 */
import type { Bindings } from "@edge/env";
import worker from "@workers/index";
import { z } from "zod";
import {
  deadLetterPath,
  devForwardedQueues,
  devPullQueueProducers,
  type ForwardedQueue,
  type LocalQueuesVars,
  localQueueProducer,
  type PullQueueBinding,
} from "./queue-consumers";

// Every Durable Object class the Worker binds, whatever wrangler.toml adds next.
export * from "@workers/index";

export type DevBindings = Bindings &
  LocalQueuesVars & {
    DETECT_DLQ: Queue<unknown>;
    TRAIN_DLQ: Queue<unknown>;
  };

/**
 * One env per runtime env, with the pull queues' producers replaced: the config and database
 * caches keyed on the env object still hold.
 */
const envs = new WeakMap<DevBindings, DevBindings>();
function withLocalQueues(env: DevBindings): DevBindings {
  let wrapped = envs.get(env);
  if (!wrapped) {
    const producers = Object.fromEntries(
      Object.entries(devPullQueueProducers).map(([binding, queue]) => [
        binding,
        localQueueProducer(env, queue),
      ]),
    ) as Record<PullQueueBinding, Queue<unknown>>;
    wrapped = { ...env, ...producers };
    envs.set(env, wrapped);
  }
  return wrapped;
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
    return worker.fetch(request, withLocalQueues(env), ctx);
  },
  queue: (batch, env) => worker.queue(batch, withLocalQueues(env)),
  scheduled: (controller, env) => worker.scheduled(controller, withLocalQueues(env)),
} satisfies ExportedHandler<DevBindings>;
