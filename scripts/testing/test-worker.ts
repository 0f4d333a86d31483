import { afterAll, beforeAll } from "bun:test";
import { dirname, join } from "node:path";
import { createDb } from "@db/client-bun";
import { migrateDatabase } from "@db/migrate";
import { Miniflare, type MiniflareOptions } from "miniflare";
import { freePort } from "../local-stack/ports";
import {
  devQueueProducers,
  devWorkerEntry,
  type LocalDetectQueue,
  startLocalDetectQueue,
  type WranglerQueueConsumer,
} from "../local-stack/queue-consumers";
import { startWorkerR2S3, type WorkerR2S3 } from "../local-stack/r2-s3";
import { repoRoot } from "../local-stack/settings";
import { imagesBucketName, readWranglerConfig } from "../local-stack/wrangler-config";
import { sharedServices } from "./shared-services";
import { workerBundle } from "./worker-bundle";

/** First use builds the Worker and starts PostgreSQL: allow for a slow, busy machine. */
export const STARTUP_TIMEOUT_MS = 120_000;

/**
 * wrangler.toml's consumers, with test overrides. None for `detect` or `train`: the dev entry sends
 * them to the local Queues API, where inference and the trainer pull them.
 */
function queueConsumers(
  configured: WranglerQueueConsumer[],
  overrides: TestWorkerOptions["queueConsumers"] = {},
): NonNullable<MiniflareOptions["queueConsumers"]> {
  return Object.fromEntries(
    configured.map((consumer) => {
      const merged = { ...consumer, ...overrides[consumer.queue] };
      return [
        merged.queue,
        {
          maxBatchSize: merged.max_batch_size,
          maxBatchTimeout: merged.max_batch_timeout,
          maxRetries: merged.max_retries,
          deadLetterQueue: merged.dead_letter_queue,
          retryDelay: merged.retry_delay,
        },
      ];
    }),
  );
}

async function miniflareOptions(
  scriptPath: string,
  bindings: Record<string, string>,
  consumerOverrides?: TestWorkerOptions["queueConsumers"],
): Promise<MiniflareOptions> {
  // The top level: what tests and `npm run dev` run (the [env.*] sections are for deploys).
  const config = await readWranglerConfig();
  return {
    modules: true,
    scriptPath,
    modulesRoot: dirname(scriptPath),
    // Wrangler emits Wasm and data imports (the report fonts) as separate files next to the bundle.
    modulesRules: [
      { type: "CompiledWasm", include: ["**/*.wasm"] },
      { type: "Data", include: ["**/*.ttf"] },
    ],
    compatibilityDate: config.compatibility_date,
    compatibilityFlags: config.compatibility_flags,
    bindings: { ...config.vars, ...bindings },
    r2Buckets: Object.fromEntries(config.r2_buckets.map((b) => [b.binding, b.bucket_name])),
    // Miniflare's local dataset accepts and drops writes, as `wrangler dev` does.
    analyticsEngineDatasets: Object.fromEntries(
      config.analytics_engine_datasets.map((d) => [d.binding, { dataset: d.dataset }]),
    ),
    durableObjects: Object.fromEntries(
      config.durable_objects.bindings.map((d) => [d.name, { className: d.class_name, useSQLite: true }]),
    ),
    queueProducers: Object.fromEntries(
      [...config.queues.producers, ...devQueueProducers].map((q) => [q.binding, { queueName: q.queue }]),
    ),
    queueConsumers: queueConsumers(config.queues.consumers, consumerOverrides),
    ...(config.assets
      ? {
          assets: {
            directory: join(repoRoot, config.assets.directory),
            binding: config.assets.binding,
            // As deployed: a request that matches no file falls through to the Worker.
            routerConfig: { has_user_worker: true },
          },
        }
      : {}),
    cf: false,
  };
}

export type TestWorker = {
  /** `http://127.0.0.1:<port>` where the Worker listens. */
  origin: string;
  /** Sends a request to the Worker; `path` is resolved against its origin. */
  fetch(path: string, init?: RequestInit): Promise<Response>;
  /** The running runtime; a new one after `restartRuntime`. */
  readonly mf: Miniflare;
  /**
   * Disposes the Worker's runtime (workerd, with whatever it held in memory) and starts a fresh
   * one on the same port, database and local Queues API: what a killed `wrangler dev` comes back to.
   */
  restartRuntime(): Promise<void>;
  databaseUrl: string;
  /** The local Queues API the Worker sends `detect` and `train` to, where inference and the trainer pull them. */
  detectQueue: LocalDetectQueue;
  /** The credential a trainer presents to `/internal/v1/trainings/*` (`TRAINER_CALLBACK_TOKEN`). */
  trainerCallbackToken: string;
  /** Direct database access for arranging and asserting state. */
  db: ReturnType<typeof createDb>["db"];
  /** The local stand-in of R2's S3 API, when the Worker was started with `r2S3`. */
  r2S3?: WorkerR2S3;
  dispose(): Promise<void>;
};

export type TestWorkerOptions = {
  /** Extra or overriding Worker vars (e.g. tighter limits for a test). */
  vars?: Record<string, string>;
  /**
   * Another entry module with the same bindings (benchmarks, recording metrics); default: the
   * local stack's dev entry, which is the production entry plus the `detect` forwarding.
   */
  entry?: string;
  /** Port to listen on, when another process must know the Worker's URL before it starts. */
  port?: number;
  /** Deliveries of a `detect` message after the first before it is dead-lettered (default: production's). */
  detectMaxRetries?: number;
  /** The same for `train` messages. */
  trainMaxRetries?: number;
  /** Per-queue Worker consumer settings over wrangler.toml's (e.g. short batch timeouts, fewer retries). */
  queueConsumers?: Record<string, Partial<Omit<WranglerQueueConsumer, "queue">>>;
  /** Another SQL-over-HTTP endpoint (e.g. a smaller pool) instead of the run's shared one. */
  sqlEndpoint?: string;
  /**
   * Sign object URLs as production does with R2's S3 API configured: presigned URLs to a local
   * stand-in (`local-stack/r2-s3.ts`) that serves the Worker's persisted bucket outside workerd.
   */
  r2S3?: boolean;
};

export type TestDatabase = {
  url: string;
  db: ReturnType<typeof createDb>["db"];
  drop(): Promise<void>;
};

/** A new, fully migrated database on the shared test server. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const { pg } = await sharedServices();
  const name = `test_${crypto.randomUUID().replaceAll("-", "")}`;
  await pg.createDatabase(name);
  const url = pg.url(name);
  await migrateDatabase(url);
  const client = createDb(url, { max: 2 });
  return {
    url,
    db: client.db,
    drop: async () => {
      await client.close();
      await pg.dropDatabase(name).catch(() => {});
    },
  };
}

/** A Worker in workerd with real R2 / Queue bindings and its own freshly migrated database. */
export async function startTestWorker(options: TestWorkerOptions = {}): Promise<TestWorker> {
  const [{ wsProxy, sqlEndpoint, jwtKeys, secrets }, scriptPath, database, port, queuePort] =
    await Promise.all([
      sharedServices(),
      workerBundle(options.entry ?? devWorkerEntry),
      createTestDatabase(),
      options.port ?? freePort(),
      freePort(),
    ]);
  const origin = `http://127.0.0.1:${port}`;
  const r2S3 = options.r2S3 ? await startWorkerR2S3(await imagesBucketName()) : undefined;
  const detectQueue = startLocalDetectQueue({
    port: queuePort,
    edgeOrigin: origin,
    ...(options.detectMaxRetries === undefined ? {} : { maxRetries: options.detectMaxRetries }),
    ...(options.trainMaxRetries === undefined ? {} : { trainMaxRetries: options.trainMaxRetries }),
  });
  const trainerCallbackToken = `trainer-${crypto.randomUUID()}`;

  const runtimeOptions: MiniflareOptions = {
    ...(await miniflareOptions(
      scriptPath,
      {
        APP_ENV: "test",
        LOG_LEVEL: process.env.TEST_VERBOSE ? "debug" : "error",
        DATABASE_URL: database.url,
        DB_WS_PROXY: wsProxy,
        DB_SQL_ENDPOINT: options.sqlEndpoint ?? sqlEndpoint.url,
        JWT_KEYS: jwtKeys,
        INFERENCE_EDGE_URL: origin,
        INFERENCE_CALLBACK_TOKEN: secrets.callbackToken,
        OPERATIONS_TOKEN: secrets.operationsToken,
        TRAINER_CALLBACK_TOKEN: trainerCallbackToken,
        IMAGE_URL_SIGNING_KEY: secrets.imageUrlSigningKey,
        ...detectQueue.workerVars,
        ...r2S3?.vars,
        ...options.vars,
      },
      options.queueConsumers,
    )),
    ...(r2S3 ? { r2Persist: r2S3.r2Dir } : {}),
    // A real port, so other processes (inference, the local Queues API) can call the Worker.
    host: "127.0.0.1",
    port,
  };
  let mf = new Miniflare(runtimeOptions);
  await mf.ready;

  return {
    fetch: async (path, init) =>
      (await mf.dispatchFetch(new URL(path, origin), init as never)) as unknown as Response,
    get mf() {
      return mf;
    },
    async restartRuntime() {
      await mf.dispose();
      mf = new Miniflare(runtimeOptions);
      await mf.ready;
    },
    origin,
    databaseUrl: database.url,
    detectQueue,
    trainerCallbackToken,
    db: database.db,
    ...(r2S3 ? { r2S3 } : {}),
    dispose: async () => {
      await detectQueue.api.stop();
      await mf.dispose();
      await r2S3?.stop();
      await database.drop();
    },
  };
}

/**
 * Starts a test Worker before the file's tests and disposes it after. Read `.current` inside
 * tests (it is set once `beforeAll` has run).
 */
export function useTestWorker(options: TestWorkerOptions = {}): { readonly current: TestWorker } {
  let worker: TestWorker | undefined;
  beforeAll(async () => {
    worker = await startTestWorker(options);
  }, STARTUP_TIMEOUT_MS);
  afterAll(async () => {
    await worker?.dispose();
  });
  return {
    get current() {
      if (!worker) throw new Error("test Worker not started: use it inside a test");
      return worker;
    },
  };
}
