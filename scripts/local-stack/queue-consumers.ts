import { DETECT_PULL_CONSUMER } from "@common/contracts/detect-pull-consumer";
import { TRAIN_PULL_CONSUMER } from "@common/contracts/train-pull-consumer";
import { type LocalQueuesApi, startLocalQueuesApi } from "./queues-api";

/**
 * The one road of `detect`, locally: in production the inference service pulls `detect` from
 * Cloudflare over HTTP, so wrangler.toml has no Worker consumer for it. `npm run dev` and every
 * test Worker run the dev entry (`dev-worker.ts`), whose Worker consumer of `detect` forwards each
 * batch to a local Queues API (`queues-api.ts`), where inference pulls it with the production code.
 * `train` takes the same road to the trainer service.
 */
export type WranglerQueueConsumer = {
  queue: string;
  max_batch_size?: number;
  max_batch_timeout?: number;
  max_retries?: number;
  dead_letter_queue?: string;
  retry_delay?: number;
};

export const devDetectConsumer = {
  queue: "detect",
  max_batch_size: 10,
  // Delivered at once: a lone job must not wait for a batch to fill.
  max_batch_timeout: 0,
  // Only for the forwarding itself (the local Queues API being down); inference's retries and
  // dead letters are the local Queues API's, as they are Cloudflare's in production.
  max_retries: 5,
  dead_letter_queue: "detect-dlq",
} as const satisfies WranglerQueueConsumer;

/** The dev entry's Worker consumer of `train`: forwards each run's message to the local Queues API. */
export const devTrainConsumer = {
  queue: "train",
  max_batch_size: 10,
  max_batch_timeout: 0,
  max_retries: 5,
  dead_letter_queue: "train-dlq",
} as const satisfies WranglerQueueConsumer;

/** The queues the dev entry forwards to the local Queues API, each with its dead-letter queue's producer. */
export const devForwardedQueues = { detect: "DETECT_DLQ", train: "TRAIN_DLQ" } as const;
export type ForwardedQueue = keyof typeof devForwardedQueues;

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
  /** The Worker vars the dev entry forwards `detect` with. */
  workerVars: { LOCAL_QUEUES_API: string; LOCAL_QUEUES_ACCOUNT: string; LOCAL_QUEUES_TOKEN: string };
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
 * wrangler.toml as `wrangler dev --config` reads it for the local stack: the dev entry module,
 * its extra producers, and the Worker consumers of `detect` and `train`.
 */
export function withDevConsumer(
  wranglerToml: string,
  consumer: WranglerQueueConsumer = devDetectConsumer,
): string {
  const consumers = [consumer, devTrainConsumer].map(
    (c) =>
      `[[queues.consumers]]\n${Object.entries(c)
        .map(([key, value]) => `${key} = ${tomlValue(value)}`)
        .join("\n")}`,
  );
  const producers = devQueueProducers.map(
    (p) => `[[queues.producers]]\nbinding = ${tomlValue(p.binding)}\nqueue = ${tomlValue(p.queue)}`,
  );
  const withEntry = wranglerToml.replace(/^main = .*$/m, `main = ${tomlValue(devWorkerEntry)}`);
  return `${withEntry.trimEnd()}\n\n# Generated by scripts/dev.ts: the local queue glue (see ${devWorkerEntry}).\n${producers.join("\n\n")}\n\n${consumers.join("\n\n")}\n`;
}
