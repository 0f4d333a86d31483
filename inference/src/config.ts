import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { DETECT_PULL_CONSUMER } from "@common/contracts/detect-pull-consumer";
import { DEFAULT_PERCENTILES, MODEL_LEVELS } from "@common/imaging/intensity";
import * as limits from "@common/limits";
import { z } from "zod";
import { defaultDecodeConcurrency, defaultIntraOpThreads } from "./cpu-budget";

/** Every setting comes from an `INFERENCE_*` variable; this is the name without the prefix. */
const PREFIX = "INFERENCE_";

const defaultModelsDir = fileURLToPath(new URL("../models", import.meta.url));

const int = (min: number, fallback: number) => z.coerce.number().int().min(min).default(fallback);
/** "true"/"1" or "false"/"0" (z.coerce.boolean would read "false" as true). */
const flag = (fallback: boolean) =>
  z
    .enum(["true", "false", "1", "0"])
    .default(fallback ? "true" : "false")
    .transform((value) => value === "true" || value === "1");
const optionalText = z
  .string()
  .optional()
  .transform((value) => (value === undefined || value.trim() === "" ? undefined : value.trim()));

export const ConfigSchema = z
  .object({
    PORT: z.coerce.number().int().min(0).max(65535).default(8788),
    HOST: z.string().min(1).default("0.0.0.0"),
    LOG_LEVEL: z.enum(["debug", "info", "warn", "error"]).default("info"),
    MODELS_DIR: z.string().min(1).default(defaultModelsDir),
    /** Model used when a request names none; defaults to the only model when exactly one is served. */
    DEFAULT_MODEL: optionalText,
    /** onnxruntime intra-op threads per session; 0: every core but one (decoding gets that one). */
    INTRA_OP_THREADS: int(0, 0),
    /** Images decoded at once per model; 0: the cores the intra-op threads leave free (at least 1). */
    DECODE_CONCURRENCY: int(0, 0),
    /** Let idle intra-op threads busy-wait; off, so decoding gets the cores between runs. */
    INTRA_OP_SPINNING: flag(false),
    /** libvips threads per image; images already decode in parallel, so one each avoids oversubscription. */
    DECODE_THREADS: int(1, 1),
    GRAPH_OPT_LEVEL: z.enum(["disabled", "basic", "extended", "all"]).default("all"),
    MAX_BATCH: int(1, 8),
    MAX_WAIT_MS: int(0, 5),
    /** Images queued or running per model before new work is refused (backpressure). */
    QUEUE_CAPACITY: int(1, 64),
    MAX_IMAGE_PIXELS: int(1, limits.MAX_IMAGE_PIXELS),
    /** `tiling: "auto"` tiles an image that letterboxing would shrink by more than this factor. */
    TILING_AUTO_MAX_SHRINK: z.coerce.number().min(1).default(4),
    /** `auto` tile side in image pixels; 0: the model input's side (tiles at the model's resolution). */
    TILING_AUTO_TILE_SIZE: z.coerce
      .number()
      .int()
      .refine((size) => size === 0 || (size >= 32 && size <= 8192), "0, or 32 to 8192 pixels")
      .default(0),
    /** `auto` overlap between neighbouring tiles (fraction of a tile). */
    TILING_AUTO_OVERLAP: z.coerce.number().min(0).max(0.5).default(0.2),
    /** `auto` adds a whole-image pass to the tiles (as SAHI does), so objects larger than a tile stay whole. */
    TILING_AUTO_WHOLE_IMAGE: flag(true),
    /** Most model inputs per image; `auto` grows its tiles to stay under it, explicit tilings over it fail. */
    TILING_MAX_TILES: int(1, 1024),
    /** Tiles of one image queued for the model at once; 0: two batches (2 × MAX_BATCH). */
    TILES_IN_FLIGHT: int(0, 0),
    /** Largest box whose indication is measured on the film, pixels; larger ones keep their box's sides. */
    MEASURE_MAX_BOX_PIXELS: int(0, 250_000),
    /** 16-bit images without a window: these percentiles of their values become black and white. */
    INTENSITY_LOW_PERCENTILE: z.coerce.number().min(0).max(50).default(DEFAULT_PERCENTILES.low),
    INTENSITY_HIGH_PERCENTILE: z.coerce.number().min(50).max(100).default(DEFAULT_PERCENTILES.high),
    /** Model-input brightness (0–1) of those two percentiles: the levels of the model's training films. */
    INTENSITY_BLACK_LEVEL: z.coerce.number().min(0).max(1).default(MODEL_LEVELS.black),
    INTENSITY_WHITE_LEVEL: z.coerce.number().min(0).max(1).default(MODEL_LEVELS.white),
    MAX_IMAGE_BYTES: int(1, limits.MAX_IMAGE_BYTES),
    DEFAULT_CONF: z.coerce.number().min(0).max(1).default(0.25),
    DEFAULT_IOU: z.coerce.number().min(0).max(1).default(0.45),
    DEFAULT_MAX_DET: int(1, 300),
    /** Bearer token callers present to this service's synchronous `POST /v1/detect` (operators, benchmarks). */
    API_TOKEN: optionalText,
    EDGE_URL: optionalText.pipe(z.url().optional()),
    FETCH_TIMEOUT_MS: int(1, 15_000),
    /** Bearer token this service presents to the edge's internal API, claim and result callbacks (the edge's INFERENCE_CALLBACK_TOKEN). */
    CALLBACK_TOKEN: optionalText,
    CALLBACK_TIMEOUT_MS: int(1, 10_000),
    /** With the delays below a result is retried for about 40 s (jittered; at most 75 s), outlasting a brief edge overload. */
    CALLBACK_ATTEMPTS: int(1, 10),
    CALLBACK_BASE_DELAY_MS: int(0, 250),
    CALLBACK_MAX_DELAY_MS: int(0, 15_000),
    CF_ACCOUNT_ID: optionalText,
    CF_QUEUE_ID: optionalText,
    CF_API_TOKEN: optionalText,
    CF_API_BASE: z.url().default("https://api.cloudflare.com/client/v4"),
    /** Defaults: the `detect` consumer's own settings (`common/contracts/detect-pull-consumer.ts`). */
    PULL_BATCH_SIZE: z.coerce.number().int().min(1).max(100).default(DETECT_PULL_CONSUMER.batchSize),
    VISIBILITY_TIMEOUT_MS: z.coerce
      .number()
      .int()
      .min(1)
      .max(43_200_000)
      .default(DETECT_PULL_CONSUMER.visibilityTimeoutSeconds * 1000),
    MAX_IN_FLIGHT: int(1, 16),
    /** Sleep between pulls that returned nothing; at most `MAX_PULL_IDLE_MS` (common/limits.ts says why). */
    PULL_IDLE_MS: z.coerce.number().int().min(0).max(limits.MAX_PULL_IDLE_MS).default(1_000),
    PULL_BACKOFF_BASE_MS: int(1, 500),
    PULL_BACKOFF_MAX_MS: int(1, 30_000),
    /** delay_seconds of a retried detect message grows as base·2^(attempts−1), capped at max. */
    DETECT_RETRY_BASE_DELAY_SECONDS: int(0, 5),
    DETECT_RETRY_MAX_DELAY_SECONDS: z.coerce.number().int().min(0).max(43_200).default(600),
    SHUTDOWN_TIMEOUT_MS: int(0, 30_000),
    /**
     * Owners' registry model versions, loaded when a claim names one: downloaded once into this
     * folder (one file per sha256, written atomically) and kept there across restarts.
     */
    MODEL_CACHE_DIR: z.string().min(1).default(join(tmpdir(), "defect-detection-model-cache")),
    /** Bytes of registry model files whose sessions stay loaded; idle ones beyond it are unloaded, LRU first. */
    MODEL_MEMORY_BUDGET_BYTES: int(1, 1024 * 1024 * 1024),
    /** Largest registry model file downloaded (the edge's MAX_MODEL_BYTES). */
    MAX_MODEL_BYTES: int(1, 256 * 1024 * 1024),
    MODEL_FETCH_TIMEOUT_MS: int(1, 120_000),
  })
  .superRefine((config, ctx) => {
    const pull = [config.CF_ACCOUNT_ID, config.CF_QUEUE_ID, config.CF_API_TOKEN];
    const set = pull.filter((value) => value !== undefined).length;
    if (set !== 0 && set !== pull.length) {
      ctx.addIssue({
        code: "custom",
        path: ["CF_ACCOUNT_ID"],
        message: "the pull consumer needs CF_ACCOUNT_ID, CF_QUEUE_ID and CF_API_TOKEN together",
      });
    }
    if (set === pull.length && (config.EDGE_URL === undefined || config.CALLBACK_TOKEN === undefined)) {
      ctx.addIssue({
        code: "custom",
        path: ["EDGE_URL"],
        message: "the pull consumer posts results to the edge: set EDGE_URL and CALLBACK_TOKEN",
      });
    }
  })
  // 0 means "size it to this machine"; resolved here so the logged configuration shows the numbers.
  .transform((config) => {
    const threads = config.INTRA_OP_THREADS || defaultIntraOpThreads();
    return {
      ...config,
      INTRA_OP_THREADS: threads,
      DECODE_CONCURRENCY: config.DECODE_CONCURRENCY || defaultDecodeConcurrency(threads),
    };
  });

export type Config = z.output<typeof ConfigSchema>;

const SECRETS = new Set<keyof Config>(["API_TOKEN", "CALLBACK_TOKEN", "CF_API_TOKEN"]);

/** Parses `INFERENCE_*` variables; throws one error listing every invalid setting. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const raw: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) {
    if (key.startsWith(PREFIX) && value !== undefined) raw[key.slice(PREFIX.length)] = value;
  }
  const parsed = ConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => `  ${PREFIX}${issue.path.join(".")}: ${issue.message}`);
    throw new Error(`invalid inference configuration:\n${lines.join("\n")}`);
  }
  return parsed.data;
}

/** The configuration with secrets masked, for the start-up log line. */
export function redactConfig(config: Config): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(config).map(([key, value]) => [
      `${PREFIX}${key}`,
      SECRETS.has(key as keyof Config) && value !== undefined ? "***" : value,
    ]),
  );
}

export function pullConsumerEnabled(config: Config): boolean {
  return (
    config.CF_ACCOUNT_ID !== undefined &&
    config.CF_QUEUE_ID !== undefined &&
    config.CF_API_TOKEN !== undefined
  );
}
