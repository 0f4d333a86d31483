import type { OpenAPIHono } from "@hono/zod-openapi";
import { type Config, pullConsumerEnabled } from "./config";
import { EdgeClient, type EdgeClientOptions } from "./core/edge-client";
import type { ImageFetchOptions } from "./core/image-fetch";
import { Processor } from "./core/processor";
import type { AppEnv } from "./http/context";
import { createApp } from "./http/server";
import { setDecodeThreads } from "./image/decode";
import type { Logger } from "./log";
import { Metrics } from "./metrics";
import { ModelRegistry } from "./model/registry";
import { PullConsumer, type PullConsumerOptions } from "./sources/pull-consumer";
import { QueuesApi, type QueuesApiOptions } from "./sources/queues-api";

export interface Service {
  app: OpenAPIHono<AppEnv>;
  models: ModelRegistry;
  processor: Processor | null;
  consumer: PullConsumer | null;
  metrics: Metrics;
  /** Starts the pull consumer, when configured. */
  start(): void;
  /** Stops taking queue work, finishes what is in flight and settles its messages. */
  drain(): Promise<void>;
  /** Releases the model sessions; call after drain and after the HTTP server stopped. */
  close(): Promise<void>;
}

/** The edge client's settings: where the edge is, the credential, the retry policy. */
export function edgeClientOptions(config: Config): EdgeClientOptions {
  if (config.EDGE_URL === undefined || config.CALLBACK_TOKEN === undefined) {
    throw new Error("INFERENCE_EDGE_URL and INFERENCE_CALLBACK_TOKEN are needed to talk to the edge");
  }
  return {
    edgeUrl: config.EDGE_URL,
    callbackToken: config.CALLBACK_TOKEN,
    timeoutMs: config.CALLBACK_TIMEOUT_MS,
    attempts: config.CALLBACK_ATTEMPTS,
    baseDelayMs: config.CALLBACK_BASE_DELAY_MS,
    maxDelayMs: config.CALLBACK_MAX_DELAY_MS,
  };
}

export function imageFetchOptions(config: Config): ImageFetchOptions {
  return { timeoutMs: config.FETCH_TIMEOUT_MS, maxBytes: config.MAX_IMAGE_BYTES };
}

/** The pull API's address and credential; only called when the pull consumer is configured. */
export function queuesApiOptions(config: Config): QueuesApiOptions {
  const { CF_ACCOUNT_ID, CF_QUEUE_ID, CF_API_TOKEN } = config;
  if (CF_ACCOUNT_ID === undefined || CF_QUEUE_ID === undefined || CF_API_TOKEN === undefined) {
    throw new Error(
      "the pull consumer needs INFERENCE_CF_ACCOUNT_ID, INFERENCE_CF_QUEUE_ID and INFERENCE_CF_API_TOKEN",
    );
  }
  return {
    apiBase: config.CF_API_BASE,
    accountId: CF_ACCOUNT_ID,
    queueId: CF_QUEUE_ID,
    apiToken: CF_API_TOKEN,
  };
}

export function pullConsumerOptions(config: Config): PullConsumerOptions {
  return {
    batchSize: config.PULL_BATCH_SIZE,
    visibilityTimeoutMs: config.VISIBILITY_TIMEOUT_MS,
    maxInFlight: config.MAX_IN_FLIGHT,
    idleMs: config.PULL_IDLE_MS,
    backoffBaseMs: config.PULL_BACKOFF_BASE_MS,
    backoffMaxMs: config.PULL_BACKOFF_MAX_MS,
    retryBaseDelaySeconds: config.DETECT_RETRY_BASE_DELAY_SECONDS,
    retryMaxDelaySeconds: config.DETECT_RETRY_MAX_DELAY_SECONDS,
  };
}

/** Wires models, processing core, job sources and HTTP app from the configuration. */
export async function createService(
  config: Config,
  logger: Logger,
  options: { metrics?: Metrics; fetch?: typeof fetch } = {},
): Promise<Service> {
  const metrics = options.metrics ?? new Metrics();
  setDecodeThreads(config.DECODE_THREADS);
  const models = await ModelRegistry.load(config.MODELS_DIR, {
    intraOpThreads: config.INTRA_OP_THREADS,
    intraOpSpinning: config.INTRA_OP_SPINNING,
    decodeConcurrency: config.DECODE_CONCURRENCY,
    graphOptimizationLevel: config.GRAPH_OPT_LEVEL,
    maxBatch: config.MAX_BATCH,
    maxWaitMs: config.MAX_WAIT_MS,
    queueCapacity: config.QUEUE_CAPACITY,
    maxPixels: config.MAX_IMAGE_PIXELS,
    tiling: {
      autoMaxShrink: config.TILING_AUTO_MAX_SHRINK,
      autoTileSize: config.TILING_AUTO_TILE_SIZE,
      autoOverlap: config.TILING_AUTO_OVERLAP,
      autoWholeImage: config.TILING_AUTO_WHOLE_IMAGE,
      maxTiles: config.TILING_MAX_TILES,
    },
    tilesInFlight: config.TILES_IN_FLIGHT,
    measureMaxBoxPixels: config.MEASURE_MAX_BOX_PIXELS,
    intensity: {
      percentiles: { low: config.INTENSITY_LOW_PERCENTILE, high: config.INTENSITY_HIGH_PERCENTILE },
      levels: { black: config.INTENSITY_BLACK_LEVEL, white: config.INTENSITY_WHITE_LEVEL },
    },
    defaultModel: config.DEFAULT_MODEL,
    onBatch: (model, size) => metrics.batchSize.observe({ model }, size),
    versions: {
      cacheDir: config.MODEL_CACHE_DIR,
      memoryBudgetBytes: config.MODEL_MEMORY_BUDGET_BYTES,
      maxBytes: config.MAX_MODEL_BYTES,
      fetchTimeoutMs: config.MODEL_FETCH_TIMEOUT_MS,
      ...(options.fetch ? { fetch: options.fetch } : {}),
    },
  });
  metrics.recordModelLoad(models.list().length, models.failures);
  for (const failure of models.failures) logger.error("model not served", { ...failure });
  for (const { info } of models.list()) {
    logger.info("model loaded", {
      model: info.name,
      version: info.version,
      sha256: info.sha256,
      layout: info.layout,
      classes: info.classNames.length,
      input: `${info.inputWidth}x${info.inputHeight}`,
      dynamicBatch: info.dynamicBatch,
    });
  }

  const processor =
    config.EDGE_URL !== undefined && config.CALLBACK_TOKEN !== undefined
      ? new Processor({
          models,
          edge: new EdgeClient({ ...edgeClientOptions(config), fetch: options.fetch }),
          fetch: { ...imageFetchOptions(config), fetch: options.fetch },
          metrics,
          logger,
        })
      : null;

  let consumer: PullConsumer | null = null;
  if (pullConsumerEnabled(config) && processor !== null) {
    consumer = new PullConsumer(
      new QueuesApi({ ...queuesApiOptions(config), fetch: options.fetch }),
      (message, attempts) => processor.process(message, attempts, "pull"),
      pullConsumerOptions(config),
      logger,
      metrics,
      (message, attempts) => processor.process(message, attempts, "pull"),
    );
  }

  let shuttingDown = false;
  const app = createApp({
    config,
    models,
    processor,
    metrics,
    logger,
    isShuttingDown: () => shuttingDown,
  });

  return {
    app,
    models,
    processor,
    consumer,
    metrics,
    start() {
      consumer?.start();
    },
    async drain() {
      shuttingDown = true;
      await consumer?.stop();
      await processor?.idle();
    },
    async close() {
      await models.dispose();
    },
  };
}
