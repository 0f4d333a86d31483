/**
 * The stack a run drives, in one of two shapes:
 * - every run but `--kill`: the edge Worker in workerd through Miniflare (real R2, Queues and
 *   Durable Objects, its own database, presigned reads from the R2 S3 stand-in), its dev entry
 *   forwarding `detect` to the local Queues API, and the inference service with the shipped model
 *   pulling from it, as its own process (`bun inference/src/main.ts`, as deployed) or in this
 *   process, as scripts/system-tests/full-stack-fixture.ts runs it;
 * - `npm run dev` in a child process (dev-stack.ts), whose supervisor restarts what `--kill` kills.
 */
import { join } from "node:path";
import type { createDb } from "@db/client-bun";
import { users } from "@db/schema";
import { ImageSchema } from "@edge/routes/images/schema";
import { loadConfig } from "@inference/config";
import type { Logger } from "@inference/log";
import { createService } from "@inference/service";
import { freePort } from "@scripts/local-stack/ports";
import { repoRoot } from "@scripts/local-stack/settings";
import { forgeAccessToken } from "@scripts/testing/auth-fixtures";
import { readBody } from "@scripts/testing/responses";
import { sharedServices, stopSharedServices } from "@scripts/testing/shared-services";
import { startTestWorker } from "@scripts/testing/test-worker";
import type { Film } from "./films";

export type Db = ReturnType<typeof createDb>["db"];
export type Caller = { id: string; auth: string; images: string[] };
export type KillTarget = "inference" | "workerd" | "wrangler";

export type Stack = {
  /** "in-process" or "npm run dev". */
  shape: string;
  origin: string;
  db: Db;
  /** One line on what runs with which settings. */
  describe: string;
  /** A new user with an `Authorization` header value. */
  newCaller(index: number): Promise<Caller>;
  /** The inference service's counters (in-process only). */
  inferenceCounters?(): Promise<Map<string, number>>;
  /** The target's pid now, if it runs (dev stack only). */
  pidOf?(target: KillTarget): number | undefined;
  /** SIGKILLs the target's process; returns its pid (dev stack only). */
  kill?(target: KillTarget): number;
  dispose(): Promise<void>;
};

/** Counts the inference service's warnings and errors by message, instead of printing them. */
function countingLogger(counts: Map<string, number>): Logger {
  const count = (level: string) => (msg: string, fields?: Record<string, unknown>) => {
    const code = typeof fields?.code === "string" ? ` (${fields.code})` : "";
    const key = `${level}: ${msg}${code}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  };
  const logger: Logger = {
    debug() {},
    info() {},
    warn: count("warn"),
    error: count("error"),
    child: () => logger,
  };
  return logger;
}

type Inference = {
  describe: string;
  counters(): Promise<Map<string, number>>;
  stop(): Promise<void>;
};

/** The service in this process, as scripts/system-tests/full-stack-fixture.ts runs it. */
async function inferenceHere(env: Record<string, string | undefined>, port: number): Promise<Inference> {
  const log = new Map<string, number>();
  const config = loadConfig(env);
  const service = await createService(config, countingLogger(log));
  await service.models.warmup();
  // As inference/src/main.ts serves it (readiness, metrics).
  const server = Bun.serve({
    port,
    hostname: "127.0.0.1",
    fetch: service.app.fetch,
    maxRequestBodySize: config.MAX_IMAGE_BYTES + 1024 * 1024,
  });
  service.start();
  return {
    describe:
      `inference in the bench's process (intra-op threads ${config.INTRA_OP_THREADS}, decode concurrency ` +
      `${config.DECODE_CONCURRENCY}, max batch ${config.MAX_BATCH}, max in flight ${config.MAX_IN_FLIGHT}, pull batch ${config.PULL_BATCH_SIZE})`,
    counters: async () => {
      const counters = new Map<string, number>();
      const metrics = service.metrics;
      for (const value of (await metrics.jobs.get()).values)
        counters.set(`jobs ${value.labels.source}/${value.labels.outcome}`, value.value);
      for (const value of (await metrics.errors.get()).values)
        counters.set(`error ${value.labels.code}`, value.value);
      for (const value of (await metrics.batchSize.get()).values) {
        if (value.metricName === "inference_batch_size_sum") counters.set("images run", value.value);
        if (value.metricName === "inference_batch_size_count") counters.set("model runs", value.value);
      }
      for (const [key, n] of log) counters.set(`log ${key}`, n);
      return counters;
    },
    stop: async () => {
      await service.drain();
      await server.stop(true);
      await service.close();
    },
  };
}

/** What the service's Prometheus text says of jobs, errors and batches. */
function parseMetrics(text: string): Map<string, number> {
  const counters = new Map<string, number>();
  for (const line of text.split("\n")) {
    const match =
      /^(inference_jobs_total|inference_errors_total|inference_batch_size_sum|inference_batch_size_count)(\{[^}]*\})? ([0-9.e+-]+)$/.exec(
        line,
      );
    if (!match) continue;
    const [, name, labels = "", value] = match;
    const label = (key: string) => new RegExp(`${key}="([^"]*)"`).exec(labels)?.[1] ?? "";
    const key =
      name === "inference_jobs_total"
        ? `jobs ${label("source")}/${label("outcome")}`
        : name === "inference_errors_total"
          ? `error ${label("code")}`
          : name === "inference_batch_size_sum"
            ? "images run"
            : "model runs";
    counters.set(key, Number(value));
  }
  return counters;
}

/** The service as production runs it: `bun inference/src/main.ts`, its own process. */
async function inferenceProcess(env: Record<string, string | undefined>, port: number): Promise<Inference> {
  const log = new Map<string, number>();
  const child = Bun.spawn([process.execPath, join(repoRoot, "inference/src/main.ts")], {
    cwd: repoRoot,
    env: { ...env, INFERENCE_HOST: "127.0.0.1", INFERENCE_PORT: String(port), INFERENCE_LOG_LEVEL: "warn" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const countLines = async (stream: ReadableStream<Uint8Array>) => {
    const decoder = new TextDecoder();
    for await (const bytes of stream)
      for (const line of decoder.decode(bytes, { stream: true }).split("\n")) {
        const entry = /"level":"(\w+)".*?"msg":"([^"]*)"/.exec(line);
        if (entry) log.set(`${entry[1]}: ${entry[2]}`, (log.get(`${entry[1]}: ${entry[2]}`) ?? 0) + 1);
      }
  };
  void countLines(child.stdout);
  void countLines(child.stderr);
  const origin = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    const status = await fetch(`${origin}/ready`).then(
      async (r) => {
        await r.arrayBuffer();
        return r.status;
      },
      () => 0,
    );
    if (status === 200) break;
    if (child.exitCode !== null) throw new Error(`inference exited (${child.exitCode}) before it was ready`);
    await Bun.sleep(250);
  }
  const config = loadConfig(env);
  return {
    describe:
      `inference as its own process, pid ${child.pid} (intra-op threads ${config.INTRA_OP_THREADS}, decode concurrency ` +
      `${config.DECODE_CONCURRENCY}, max batch ${config.MAX_BATCH}, max in flight ${config.MAX_IN_FLIGHT}, pull batch ${config.PULL_BATCH_SIZE})`,
    counters: async () => {
      const counters = parseMetrics(await (await fetch(`${origin}/metrics`)).text());
      for (const [key, n] of log) counters.set(`log ${key}`, n);
      return counters;
    },
    stop: async () => {
      child.kill("SIGTERM");
      const stopped = await Promise.race([
        child.exited.then(() => true),
        Bun.sleep(15_000).then(() => false),
      ]);
      if (!stopped) child.kill("SIGKILL");
    },
  };
}

/**
 * The Worker through Miniflare and the inference service, in this process or (`separate`) as its
 * own process.
 */
export async function startInProcessStack(vars: Record<string, string>, separate: boolean): Promise<Stack> {
  const { secrets } = await sharedServices();
  const inferencePort = await freePort();
  const worker = await startTestWorker({
    r2S3: true,
    vars: { INFERENCE_URL: `http://127.0.0.1:${inferencePort}`, LOG_LEVEL: "warn", ...vars },
  });
  const env = {
    ...process.env,
    INFERENCE_MODELS_DIR: join(repoRoot, "inference", "models"),
    INFERENCE_EDGE_URL: worker.origin,
    INFERENCE_CALLBACK_TOKEN: secrets.callbackToken,
    ...worker.detectQueue.inferenceEnv,
    INFERENCE_PULL_IDLE_MS: "50",
  };
  const inference = await (separate ? inferenceProcess : inferenceHere)(env, inferencePort);
  return {
    shape: separate ? "workerd + inference process" : "in-process",
    origin: worker.origin,
    db: worker.db,
    describe: `Worker in workerd via Miniflare (vars ${JSON.stringify(vars)}); ${inference.describe}`,
    newCaller: async (index) => {
      const [user] = await worker.db
        .insert(users)
        .values({
          email: `bench-e2e-${index}-${crypto.randomUUID().slice(0, 8)}@example.com`,
          passwordHash: "$argon2id$unused",
        })
        .returning({ id: users.id });
      if (!user) throw new Error("no user");
      const token = await forgeAccessToken({
        claims: { sub: user.id, exp: Math.floor(Date.now() / 1000) + 3 * 3600 },
      });
      return { id: user.id, auth: `Bearer ${token}`, images: [] };
    },
    inferenceCounters: inference.counters,
    dispose: async () => {
      await inference.stop();
      await worker.dispose();
      await stopSharedServices();
    },
  };
}

/** `count` callers, each with every film uploaded through the API. */
export async function arrangeCallers(stack: Stack, count: number, films: Film[]): Promise<Caller[]> {
  const callers: Caller[] = [];
  for (let i = 0; i < count; i++) callers.push(await stack.newCaller(i));
  const uploads = callers.flatMap((caller) => films.map((film, index) => ({ caller, film, index })));
  let next = 0;
  const uploader = async () => {
    for (let item = uploads[next++]; item; item = uploads[next++]) {
      const response = await fetch(`${stack.origin}/v1/images?filename=film-${item.index}.png`, {
        method: "POST",
        headers: {
          Authorization: item.caller.auth,
          "Content-Type": "image/png",
          "Content-Length": String(item.film.png.length),
        },
        body: item.film.png,
        signal: AbortSignal.timeout(60_000),
      });
      if (response.status !== 201) throw new Error(`upload: ${response.status} ${await response.text()}`);
      item.caller.images[item.index] = (await readBody(response, ImageSchema)).id;
    }
  };
  await Promise.all(Array.from({ length: 4 }, uploader));
  return callers;
}
