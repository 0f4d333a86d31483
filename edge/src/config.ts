import type { LogLevel } from "@common/logger";
import { z } from "zod";

/** A comma-separated list. */
const list = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((value) =>
      value
        .split(",")
        .map((item) => item.trim())
        .filter(Boolean),
    );

const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);

/** A rate limit written as `<requests>/<seconds>s`, e.g. `120/60s`. */
const rateLimit = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((value, ctx) => {
      const match = /^(\d+)\/(\d+)s$/.exec(value.trim());
      const limit = Number(match?.[1]);
      const seconds = Number(match?.[2]);
      if (!match || limit < 1 || seconds < 1) {
        ctx.addIssue({ code: "custom", message: `expected "<requests>/<seconds>s", got "${value}"` });
        return z.NEVER;
      }
      return { limit, periodMs: seconds * 1000 };
    });

/** String vars and secrets of the Worker, validated once per isolate. */
export const configSchema = z.object({
  APP_ENV: z.enum(["development", "test", "production"]).default("production"),
  LOG_LEVEL: z.enum(["debug", "info", "warn", "error"] satisfies LogLevel[]).default("info"),
  DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }),
  /** `host:port` of the local WebSocket-to-TCP proxy; unset in production (Neon's own endpoint). */
  DB_WS_PROXY: z
    .string()
    .regex(/^[\w.-]+:\d+$/)
    .optional(),
  /** URL of the local SQL-over-HTTP endpoint; unset in production (Neon's own endpoint). */
  DB_SQL_ENDPOINT: z.url({ protocol: /^https?$/ }).optional(),
  /** Time limit of opening the WebSocket connection of an interactive transaction. */
  DB_CONNECT_TIMEOUT_MS: positiveInt(5000),
  CORS_ORIGINS: list(""),
  INFERENCE_URL: z.url({ protocol: /^https?$/ }).optional(),
  HEALTH_CHECK_TIMEOUT_MS: positiveInt(2000),
  /** JWK set (JSON) of ES256 keys; the first signs. See docs/api.md, "Key rotation". */
  JWT_KEYS: z.string().min(1),
  JWT_ISSUER: z.string().default("defect-detection"),
  JWT_AUDIENCE: z.string().default("defect-detection-api"),
  ACCESS_TOKEN_TTL_SECONDS: positiveInt(900),
  REFRESH_TOKEN_TTL_DAYS: positiveInt(30),
  RATE_LIMIT_AUTH_IP: rateLimit("20/60s"),
  RATE_LIMIT_AUTH_ACCOUNT: rateLimit("5/60s"),
  RATE_LIMIT_READ: rateLimit("600/60s"),
  RATE_LIMIT_WRITE: rateLimit("120/60s"),

  /** Base URL at which the inference service reaches this Worker (signed image URLs). */
  EDGE_PUBLIC_URL: z.url({ protocol: /^https?$/ }),
  /** Bearer credential the inference service presents to `/internal/*` (claim and result callbacks). */
  INFERENCE_CALLBACK_TOKEN: z.string().min(16),
  /** Bearer credential this Worker presents to the inference service's API (local push bridge). */
  INFERENCE_API_TOKEN: z.string().min(16).optional(),
  /** HMAC key for signed image URLs. */
  IMAGE_URL_SIGNING_KEY: z.string().min(32),
  IMAGE_URL_TTL_SECONDS: positiveInt(3600),
  /** R2's S3 API: when all are set, image URLs are R2 presigned URLs instead of Worker URLs. */
  R2_S3_ENDPOINT: z.url().optional(),
  R2_S3_ACCESS_KEY_ID: z.string().optional(),
  R2_S3_SECRET_ACCESS_KEY: z.string().optional(),
  R2_BUCKET_NAME: z.string().default("defect-images"),

  /** Models jobs may name; the first is the default. */
  DETECTION_MODELS: list("weld-defects").pipe(z.array(z.string()).min(1)),
  MAX_IMAGE_BYTES: positiveInt(50 * 1024 * 1024),
  MAX_IMAGE_PIXELS: positiveInt(100_000_000),
  MAX_IMAGES_PER_JOB_REQUEST: positiveInt(100),
  JOBS_PER_DAY: positiveInt(5000),
  /**
   * Admission control: jobs still queued or running, across all users, beyond which new jobs are
   * refused (503 backlog_full) instead of accepted and left to wait behind the others.
   */
  MAX_UNFINISHED_JOBS: positiveInt(2000),
  /** Retry-After of a backlog_full refusal. */
  BACKLOG_RETRY_AFTER_SECONDS: positiveInt(10),
  MAX_PAGE_SIZE: positiveInt(100),
  JOB_WAIT_MAX_SECONDS: positiveInt(60),
  /** Open waits and event streams one user may have at once (each is a stream on their hub). */
  JOB_EVENTS_MAX_SUBSCRIBERS: positiveInt(10_000),
  /** Interval of keep-alive comments on idle event streams. */
  JOB_EVENTS_HEARTBEAT_SECONDS: positiveInt(15),
  /** A job running this long since its last claim, or queued this long since its last enqueue, is presumed lost and re-enqueued by the sweeper. */
  JOB_STUCK_AFTER_SECONDS: positiveInt(900),
  /** Allow http:// and private-network webhook URLs (local development and tests only). */
  WEBHOOK_ALLOW_INSECURE_URLS: z
    .enum(["true", "false"])
    .default("false")
    .transform((v) => v === "true"),
  /** Webhooks one user may register. */
  MAX_WEBHOOKS_PER_USER: positiveInt(20),
  /** Time limit of one webhook delivery attempt. */
  WEBHOOK_TIMEOUT_MS: positiveInt(10_000),
  /** Retry delay of a failed webhook delivery: base·2^(attempt−1), capped at max. */
  WEBHOOK_RETRY_BASE_DELAY_SECONDS: z.coerce.number().int().min(0).default(30),
  WEBHOOK_RETRY_MAX_DELAY_SECONDS: z.coerce.number().int().min(0).max(43_200).default(3600),
  /** Retry delay of a detect message the local push bridge could not settle (same formula). */
  DETECT_RETRY_BASE_DELAY_SECONDS: z.coerce.number().int().min(0).default(5),
  DETECT_RETRY_MAX_DELAY_SECONDS: z.coerce.number().int().min(0).max(43_200).default(600),
  /** Time limit of one push of a batch to the inference service (local push bridge). */
  INFERENCE_PUSH_TIMEOUT_MS: positiveInt(300_000),
  /** Jobs the sweeper re-enqueues, and R2 objects it examines, per cron run. */
  SWEEP_MAX_JOBS: positiveInt(500),
  SWEEP_MAX_OBJECTS: positiveInt(1000),
  /** Unreferenced objects younger than this are left alone: their upload may still be writing the row. */
  ORPHAN_MIN_AGE_SECONDS: positiveInt(3600),
});

export type Config = z.infer<typeof configSchema>;
export type RateLimitSetting = Config["RATE_LIMIT_READ"];

const cache = new WeakMap<object, Config>();

/** Parses the Worker's env once per env object; a bad value fails loudly with every issue named. */
export function readConfig(env: object): Config {
  let config = cache.get(env);
  if (!config) {
    const parsed = configSchema.safeParse(env);
    if (!parsed.success) {
      throw new Error(`invalid Worker configuration: ${z.prettifyError(parsed.error)}`);
    }
    config = parsed.data;
    cache.set(env, config);
  }
  return config;
}
