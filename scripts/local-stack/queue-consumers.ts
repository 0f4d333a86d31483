import { DETECT_PULL_CONSUMER } from "@common/contracts/detect-pull-consumer";
import { TRAIN_PULL_CONSUMER } from "@common/contracts/train-pull-consumer";
import { z } from "zod";
import { type LocalQueuesApi, startLocalQueuesApi } from "./queues-api";

/**
 * The one road of `detect`, locally: in production the inference service pulls `detect` from
 * Cloudflare over HTTP, so wrangler.toml has no Worker consumer for it. `npm run dev` and every
 * test Worker run the dev entry (`dev-worker.ts`), whose `DETECT_QUEUE` producer sends straight to
 * a local Queues API (`queues-api.ts`) outside workerd, where inference pulls it with the
 * production code. `train` takes the same road to the trainer service. No message waits in an
 * in-memory queue of workerd, so killing wrangler or workerd loses none.
 */
export type WranglerQueueConsumer = {
  queue: string;
  max_batch_size?: number;
  max_batch_timeout?: number;
  max_retries?: number;
  dead_letter_queue?: string;
  retry_delay?: number;
};

/** The queues the local Queues API serves, each with its dead-letter queue's producer in the dev entry. */
export const devForwardedQueues = { detect: "DETECT_DLQ", train: "TRAIN_DLQ" } as const;
export type ForwardedQueue = keyof typeof devForwardedQueues;

/** wrangler.toml's producer bindings the dev entry replaces with senders to the local Queues API. */
export const devPullQueueProducers = { DETECT_QUEUE: "detect", TRAIN_QUEUE: "train" } as const;
export type PullQueueBinding = keyof typeof devPullQueueProducers;

/** The Worker vars that say where the local Queues API is and how to authenticate to it. */
export type LocalQueuesVars = {
  LOCAL_QUEUES_API: string;
  LOCAL_QUEUES_ACCOUNT: string;
  LOCAL_QUEUES_TOKEN: string;
};

type SendOptions = { contentType?: QueueContentType; delaySeconds?: number };

/** One message as the send endpoints take it; the local API, like the HTTP API, takes JSON or text. */
function wireMessage(body: unknown, options: SendOptions = {}) {
  const contentType = options.contentType ?? "json";
  if (contentType !== "json" && contentType !== "text") {
    throw new Error(`the local Queues API takes "json" or "text" messages, not "${contentType}"`);
  }
  return {
    body,
    content_type: contentType,
    ...(options.delaySeconds === undefined ? {} : { delay_seconds: options.delaySeconds }),
  };
}

const SendAnswerSchema = z.object({
  result: z.object({
    metadata: z.object({
      metrics: z.object({
        backlog_count: z.number(),
        backlog_bytes: z.number(),
        oldest_message_timestamp_ms: z.number(),
      }),
    }),
  }),
});

function toMetrics(answer: unknown): QueueSendMetrics {
  const { backlog_count, backlog_bytes, oldest_message_timestamp_ms } =
    SendAnswerSchema.parse(answer).result.metadata.metrics;
  return {
    backlogCount: backlog_count,
    backlogBytes: backlog_bytes,
    ...(oldest_message_timestamp_ms > 0
      ? { oldestMessageTimestamp: new Date(oldest_message_timestamp_ms) }
      : {}),
  };
}

/**
 * The `Queue` producer the edge uses, over the local Queues API's send endpoints
 * (`.../messages`, `.../messages/batch`): the API keeps Cloudflare's limits (100 messages and
 * 256 KiB per batch, 128 KiB per message) and refuses what exceeds them. Anything but a 2xx
 * answer throws, as a failed `send` of a real binding does. `metrics()` is an empty batch, which
 * the API answers with the queue's backlog.
 */
export function localQueueProducer(vars: LocalQueuesVars, queue: ForwardedQueue): Queue<unknown> {
  const base = `${vars.LOCAL_QUEUES_API}/accounts/${vars.LOCAL_QUEUES_ACCOUNT}/queues/${queue}/messages`;
  const post = async (path: string, payload: unknown) => {
    const response = await fetch(`${base}${path}`, {
      method: "POST",
      headers: { authorization: `Bearer ${vars.LOCAL_QUEUES_TOKEN}`, "content-type": "application/json" },
      body: JSON.stringify(payload),
    });
    const text = await response.text();
    if (!response.ok) {
      throw new Error(
        `local Queues API refused a send to ${queue}: ${response.status} ${text.slice(0, 300)}`,
      );
    }
    return { metadata: { metrics: toMetrics(JSON.parse(text)) } };
  };
  return {
    send: async (body, options) => post("", wireMessage(body, options)),
    sendBatch: async (messages, options) =>
      post("/batch", {
        messages: Array.from(messages, (message) => wireMessage(message.body, message)),
        ...(options?.delaySeconds === undefined ? {} : { delay_seconds: options.delaySeconds }),
      }),
    metrics: async () => (await post("/batch", { messages: [] })).metadata.metrics,
  };
}

function tomlValue(value: string | number): string {
  return typeof value === "number" ? String(value) : JSON.stringify(value);
}

/** The local stack's entry module: the production one plus the local queue glue. */
export const devWorkerEntry = "scripts/local-stack/dev-worker.ts";

/** Where the dev entry takes the local Queues API's dead letters of `detect` (or `train`). */
export const deadLetterPath = (queue: ForwardedQueue) => `/__local/queues/${queue}/dead-letters`;
export const DEAD_LETTER_PATH = deadLetterPath("detect");

/**
 * The local Queues API's dead-letter queue for `detect` (or `train`): its spent messages go to the
 * Worker's dev entry, which puts them on `detect-dlq` (`train-dlq`). A refusal throws, so the API
 * keeps and re-offers them.
 */
export function deadLettersToWorker(edgeOrigin: string, token: string, queue: ForwardedQueue = "detect") {
  return async (messages: Array<{ body: unknown }>): Promise<void> => {
    const response = await fetch(`${edgeOrigin}${deadLetterPath(queue)}`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ messages }),
    });
    await response.body?.cancel();
    if (!response.ok) throw new Error(`the Worker answered ${response.status} to dead letters`);
  };
}

/** The account id the local Queues API serves (any id works; Cloudflare's are 32 hex digits). */
export const LOCAL_QUEUES_ACCOUNT = "local";

export type LocalDetectQueue = {
  api: LocalQueuesApi;
  /** The Worker vars the dev entry sends `detect` and `train` with. */
  workerVars: LocalQueuesVars;
  /** The inference service's settings to pull `detect` from it. */
  inferenceEnv: {
    INFERENCE_CF_API_BASE: string;
    INFERENCE_CF_ACCOUNT_ID: string;
    INFERENCE_CF_QUEUE_ID: string;
    INFERENCE_CF_API_TOKEN: string;
  };
  /** The trainer service's settings to pull `train` from it. */
  trainerEnv: {
    TRAINER_CF_API_BASE: string;
    TRAINER_CF_ACCOUNT_ID: string;
    TRAINER_CF_QUEUE_ID: string;
    TRAINER_CF_API_TOKEN: string;
  };
};

/**
 * What Cloudflare Queues is for `detect` and `train` in production, locally: the pull API
 * inference and the trainer lease from, dead-lettering after `maxRetries` (`trainMaxRetries`;
 * production's by default) onto the Worker's `detect-dlq` (`train-dlq`) through the dev entry at
 * `edgeOrigin`.
 */
export function startLocalDetectQueue(options: {
  port: number;
  edgeOrigin: string;
  maxRetries?: number;
  trainMaxRetries?: number;
}): LocalDetectQueue {
  const token = crypto.randomUUID();
  const api = startLocalQueuesApi({
    port: options.port,
    accountId: LOCAL_QUEUES_ACCOUNT,
    apiToken: token,
    queues: {
      detect: {
        maxRetries: options.maxRetries ?? DETECT_PULL_CONSUMER.maxRetries,
        deadLetter: deadLettersToWorker(options.edgeOrigin, token),
      },
      train: {
        maxRetries: options.trainMaxRetries ?? TRAIN_PULL_CONSUMER.maxRetries,
        deadLetter: deadLettersToWorker(options.edgeOrigin, token, "train"),
      },
    },
  });
  return {
    api,
    workerVars: {
      LOCAL_QUEUES_API: api.apiBase,
      LOCAL_QUEUES_ACCOUNT: LOCAL_QUEUES_ACCOUNT,
      LOCAL_QUEUES_TOKEN: token,
    },
    inferenceEnv: {
      INFERENCE_CF_API_BASE: api.apiBase,
      INFERENCE_CF_ACCOUNT_ID: LOCAL_QUEUES_ACCOUNT,
      INFERENCE_CF_QUEUE_ID: "detect",
      INFERENCE_CF_API_TOKEN: token,
    },
    trainerEnv: {
      TRAINER_CF_API_BASE: api.apiBase,
      TRAINER_CF_ACCOUNT_ID: LOCAL_QUEUES_ACCOUNT,
      TRAINER_CF_QUEUE_ID: "train",
      TRAINER_CF_API_TOKEN: token,
    },
  };
}

/** Producers only the dev entry uses: dead letters of the local Queues API go onto `detect-dlq` and `train-dlq`. */
export const devQueueProducers = [
  { binding: "DETECT_DLQ", queue: "detect-dlq" },
  { binding: "TRAIN_DLQ", queue: "train-dlq" },
] as const;

/**
 * wrangler.toml as `wrangler dev --config` reads it for the local stack: the dev entry module and
 * its extra producers. No Worker consumer of `detect` or `train`: the dev entry sends them straight
 * to the local Queues API.
 */
export function withDevEntry(wranglerToml: string): string {
  const producers = devQueueProducers.map(
    (p) => `[[queues.producers]]\nbinding = ${tomlValue(p.binding)}\nqueue = ${tomlValue(p.queue)}`,
  );
  const withEntry = wranglerToml.replace(/^main = .*$/m, `main = ${tomlValue(devWorkerEntry)}`);
  return `${withEntry.trimEnd()}\n\n# Generated by scripts/dev.ts: the local queue glue (see ${devWorkerEntry}).\n${producers.join("\n\n")}\n`;
}
