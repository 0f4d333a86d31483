import * as limits from "@common/limits";
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
  /** Time limit of one HTTP statement or batch: an endpoint that never answers becomes a 503. */
  DB_QUERY_TIMEOUT_MS: positiveInt(30_000),
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
  /**
   * Per-isolate shortcuts of authentication and rate limiting, with their bounds (docs/operations.md,
   * Configuration). An isolate may take this much of a caller's rate from the limiter at once (at
   * most 1/32 of the limit; 0: every request asks the limiter).
   */
  RATE_LIMIT_LEASE_MS: z.coerce.number().int().min(0).max(60_000).default(1000),
  /**
   * How long an isolate reuses an authenticated caller for reads (0: never). A key revoked or an
   * account disabled in another isolate is refused to reads within this; writes always look up.
   */
  AUTH_CACHE_SECONDS: z.coerce.number().int().min(0).max(60).default(5),

  /** Base URL at which the inference service reaches this Worker (signed image URLs). */
  INFERENCE_EDGE_URL: z.url({ protocol: /^https?$/ }),
  /** Bearer credential the inference service presents to `/internal/*` (claim and result callbacks). */
  INFERENCE_CALLBACK_TOKEN: z.string().min(16),
  /**
   * Read-only operations credential (autoscaler, Prometheus): `/internal/v1/backlog` and
   * `/internal/v1/metrics`. Separate from the callback token so a scraper cannot finish jobs.
   */
  OPERATIONS_TOKEN: z.string().min(16),
  /** Seconds an isolate reuses the backlog and metrics figures, so scrape bursts cost one query; 0 = none. */
  OPERATIONS_CACHE_SECONDS: z.coerce.number().int().min(0).max(60).default(5),
  /**
   * Analytics Engine bills every data point written: one request in this many (at random) is
   * written, carrying the number as its weight. 1 writes every request; job outcomes are never sampled.
   */
  METRICS_REQUEST_SAMPLE_EVERY: positiveInt(1),
  /**
   * Signed object URLs (images, dataset and model files; edge/src/images/signed-url.ts). With R2's
   * S3 API configured (all three `R2_S3_*` below) they are R2 presigned GET URLs and the bytes
   * never pass through the Worker; without, the Worker signs URLs of its own route
   * (`/internal/v1/objects/...`) with this HMAC key.
   */
  IMAGE_URL_SIGNING_KEY: z.string().min(32),
  /** Lifetime of a signed object URL; S3 presigned URLs may live at most 7 days. */
  IMAGE_URL_TTL_SECONDS: z.coerce.number().int().positive().max(604_800).default(3600),
  /** R2's S3 API endpoint, `https://<account_id>.r2.cloudflarestorage.com` (the local stack: its stand-in). */
  R2_S3_ENDPOINT: z.url({ protocol: /^https?$/ }).optional(),
  /** Access key id of an R2 API token allowed to read `R2_BUCKET_NAME` (Object Read is enough). */
  R2_S3_ACCESS_KEY_ID: z.string().min(1).optional(),
  /** That token's secret access key: it signs the presigned URLs and never leaves the Worker. */
  R2_S3_SECRET_ACCESS_KEY: z.string().min(1).optional(),
  /** The bucket behind the `IMAGES` binding, as the S3 API names it. */
  R2_BUCKET_NAME: z.string().default("defect-images"),

  /** Models jobs may name; the first is the default. */
  DETECTION_MODELS: list(limits.DETECTION_MODELS.join(",")).pipe(z.array(z.string()).min(1)),
  MAX_IMAGE_BYTES: positiveInt(limits.MAX_IMAGE_BYTES),
  /** Largest JSON (or other non-upload) request body; see middleware/request-body.ts. */
  MAX_JSON_BODY_BYTES: positiveInt(64 * 1024),
  /** Largest result callback body: up to MAX_DETECTIONS_PER_IMAGE detections (`maxDet`) with their timings. */
  MAX_CALLBACK_BODY_BYTES: positiveInt(limits.MAX_CALLBACK_BODY_BYTES),
  /**
   * A refused body's remainder up to this size is read and dropped, so the client gets its answer
   * and keeps its connection; above MAX_IMAGE_BYTES, so any upload refused for any reason is.
   */
  MAX_DRAIN_BYTES: positiveInt(64 * 1024 * 1024),
  /** A body with no byte for this long is refused (408). */
  BODY_IDLE_TIMEOUT_MS: positiveInt(15_000),
  /** A body that takes longer than this in all is refused (408). */
  BODY_READ_TIMEOUT_MS: positiveInt(120_000),
  MAX_IMAGE_PIXELS: positiveInt(limits.MAX_IMAGE_PIXELS),
  /**
   * Bytes held in memory to reach an image's header: a TIFF directory written after the pixels,
   * a JPEG frame header behind large EXIF/ICC blocks. Bounds an upload's memory in the isolate.
   */
  MAX_IMAGE_HEADER_BYTES: positiveInt(16 * 1024 * 1024),
  MAX_IMAGES_PER_JOB_REQUEST: positiveInt(100),
  JOBS_PER_DAY: positiveInt(5000),
  /**
   * Admission control: jobs still queued or running, across all users, beyond which new jobs are
   * refused (503 backlog_full) instead of accepted and left to wait behind the others.
   */
  MAX_UNFINISHED_JOBS: positiveInt(2000),
  /** Retry-After of a backlog_full refusal while no drain rate is measured (cold start, stalled stack). */
  BACKLOG_RETRY_AFTER_SECONDS: positiveInt(10),
  /**
   * Admission by time (edge/src/jobs/admission.ts): a creation is refused (503 backlog_full) when
   * the time the queued line has already waited plus the time the jobs ahead of it (this request's
   * included) take to finish at the recent pace exceeds this, or, while none finishes, once the
   * oldest queued job has waited this long. It bounds the queueing part of a job's wait, not its
   * processing (claim, inference, result callback: 0.5–2 s p99 measured at 30 jobs/s offered):
   * issue #21 asks accepted jobs to finish within 10 s (p99) at 30 jobs/s. 6 s of queueing at
   * most (about half of it in the steady state of an overload, where the line's age is about the
   * backlog ÷ the rate) plus 2 s of processing leaves 2 s for a pace that falls after it was
   * measured; 8 s measured 7.7 and 11.5 s p99 on a busy machine.
   */
  ADMISSION_MAX_WAIT_SECONDS: positiveInt(6),
  /** Fraction of that admissible backlog one owner's unfinished jobs may hold; 1 = no share. */
  ADMISSION_OWNER_SHARE: z.coerce.number().gt(0).max(1).default(0.5),
  /** Seconds an isolate reuses the drain measurement (backlog, oldest queued age, completions); 0 = none. */
  ADMISSION_CACHE_SECONDS: z.coerce.number().int().min(0).max(10).default(1),
  MAX_PAGE_SIZE: positiveInt(100),
  JOB_WAIT_MAX_SECONDS: positiveInt(60),
  /**
   * Open waits and event streams one user may have in one isolate (all served by the isolate's
   * one subscription to the user's hub), and isolates one hub accepts. Beyond: 503.
   */
  JOB_EVENTS_MAX_SUBSCRIBERS: positiveInt(10_000),
  /** Keep-alive interval: comments on idle event streams, pings on each isolate's hub socket. */
  JOB_EVENTS_HEARTBEAT_SECONDS: positiveInt(15),
  /**
   * Events held for one event stream whose client reads slower than they come; one more and the
   * stream ends with a `reconnect` event (the client re-reads the state it follows).
   */
  EVENT_STREAM_MAX_BUFFERED_EVENTS: positiveInt(256),
  /**
   * Reconnection delay each event stream announces (`retry:`): the base plus a random share of
   * the jitter, so the streams a deploy ends do not all come back at the same instant.
   */
  EVENT_STREAM_RETRY_MS: positiveInt(2000),
  EVENT_STREAM_RETRY_JITTER_MS: z.coerce.number().int().min(0).default(8000),
  /** A job running this long since its last claim, or queued this long since its last enqueue, is presumed lost and re-enqueued by the sweeper. */
  JOB_STUCK_AFTER_SECONDS: positiveInt(900),
  /** A job still queued with no attempt this long since its last enqueue lost its message: the sweeper re-enqueues it. Must exceed the queueing wait admission allows (`ADMISSION_MAX_WAIT_SECONDS`). */
  JOB_UNSTARTED_AFTER_SECONDS: positiveInt(120),
  /** Allow http:// and private-network webhook URLs (local development and tests only). */
  WEBHOOK_ALLOW_INSECURE_URLS: z
    .enum(["true", "false"])
    .default("false")
    .transform((v) => v === "true"),
  /** DNS-over-HTTPS resolver (JSON API) that webhook host names are checked with; see webhooks/url-policy.ts. */
  WEBHOOK_DNS_RESOLVER_URL: z.url({ protocol: /^https?$/ }).default("https://cloudflare-dns.com/dns-query"),
  /** Time limit of one webhook host lookup. */
  WEBHOOK_DNS_TIMEOUT_MS: positiveInt(2000),
  /** Webhooks one user may register. */
  MAX_WEBHOOKS_PER_USER: positiveInt(20),
  /** Time limit of one webhook delivery attempt. */
  WEBHOOK_TIMEOUT_MS: positiveInt(10_000),
  /** Retry delay of a failed webhook delivery: base·2^(attempt−1), capped at max. */
  WEBHOOK_RETRY_BASE_DELAY_SECONDS: z.coerce.number().int().min(0).default(30),
  WEBHOOK_RETRY_MAX_DELAY_SECONDS: z.coerce.number().int().min(0).max(43_200).default(3600),
  /**
   * Appended to every queue's name in this environment (`-staging`: `detect-dlq-staging`), so
   * environments can share an account; queue batches are dispatched on the name without it.
   */
  QUEUE_NAME_SUFFIX: z
    .string()
    .regex(/^(-[a-z0-9]+)*$/, "empty, or dash-separated lowercase words such as -staging")
    .default(""),
  /** Jobs the sweeper re-enqueues, and R2 objects it examines, per cron run. */
  SWEEP_MAX_JOBS: positiveInt(500),
  SWEEP_MAX_OBJECTS: positiveInt(1000),
  /** Unreferenced objects younger than this are left alone: their upload may still be writing the row. */
  ORPHAN_MIN_AGE_SECONDS: positiveInt(3600),
  /** Review actions in one request (applied all or none). */
  REVIEW_MAX_ACTIONS_PER_REQUEST: positiveInt(100),
  /** Boxes reviewers may draw on one job. */
  REVIEW_MAX_ADDED_PER_JOB: positiveInt(200),
  /** Jobs (images) in one report: bounds the consumer's CPU time and memory (docs/operations.md, Reports). */
  REPORT_MAX_JOBS: positiveInt(50),
  /**
   * Image bytes one report embeds, all images together. The PDF is built in memory and written
   * as one buffer, so peak memory is about three times this (`npm run bench:reports`); images
   * past the budget are shown as a frame with their indications and a note, without the radiograph.
   */
  REPORT_MAX_EMBEDDED_BYTES: positiveInt(24 * 1024 * 1024),
  /**
   * Pixels one report may decode, all images together: PNGs with alpha or interlacing must be
   * decoded to be embedded (JPEG and plain PNG are not), at about 0.3 s of CPU per million
   * pixels (`npm run bench:reports`).
   */
  REPORT_MAX_DECODED_PIXELS: positiveInt(16_000_000),
  /** Retry delay of a report whose rendering failed transiently: base·2^(attempt−1), capped. */
  REPORT_RETRY_BASE_DELAY_SECONDS: z.coerce.number().int().min(0).default(10),
  REPORT_RETRY_MAX_DELAY_SECONDS: z.coerce.number().int().min(0).max(43_200).default(600),

  /** Jobs one dataset version may be made from (`fromJobs`, listed or matched by a filter). */
  DATASET_MAX_JOBS: positiveInt(500),
  /**
   * Largest dataset archive (the request body): spooled to R2 as it arrives, then read back entry
   * by entry, so it never sits in memory.
   */
  DATASET_MAX_ARCHIVE_BYTES: positiveInt(100 * 1024 * 1024),
  /** Files and folders one archive may list; each image costs one storage write. */
  DATASET_MAX_ENTRIES: positiveInt(2000),
  /** Bytes all of an archive's entries may inflate to, together (declared and actual). */
  DATASET_MAX_UNCOMPRESSED_BYTES: positiveInt(1024 * 1024 * 1024),
  /**
   * Largest inflated-to-compressed ratio of an entry over 64 KiB (images barely compress, label
   * text about tenfold; a zip bomb by thousands).
   */
  DATASET_MAX_COMPRESSION_RATIO: positiveInt(100),
  /**
   * Bytes of an archive's text entries (labels, data.yaml, COCO JSON), together: they are held in
   * memory until the images are read. An image entry is bounded by MAX_IMAGE_BYTES, one at a time.
   */
  DATASET_MAX_ANNOTATION_BYTES: positiveInt(32 * 1024 * 1024),
  /** Boxes one image may carry in a dataset. */
  DATASET_MAX_BOXES_PER_IMAGE: positiveInt(1000),

  /**
   * Training runs (docs/operations.md, Trainings). The bearer credential the trainer service
   * presents to `/internal/v1/trainings/*` (claim, items, progress, upload, finish); unset, no
   * trainer is admitted and runs stay queued.
   */
  TRAINER_CALLBACK_TOKEN: z.string().min(16).optional(),
  /** Most epochs one run may ask for. */
  TRAINING_MAX_EPOCHS: positiveInt(300),
  /** Largest training input size (`imgsz`, a multiple of 32) and tile size (`tileSize`). */
  TRAINING_MAX_IMGSZ: positiveInt(1280),
  TRAINING_MAX_TILE_SIZE: positiveInt(4096),
  /** Images per optimiser step the trainer uses. */
  TRAINING_BATCH: positiveInt(16),
  /** Runs one owner may have queued or running at once; beyond: 429 quota_exceeded. */
  TRAINING_MAX_ACTIVE_PER_OWNER: positiveInt(2),
  /** Dataset items per page of the trainer's `items` call. */
  TRAINING_ITEMS_PAGE_SIZE: positiveInt(500),
  /**
   * A run `running` with no claim or progress report for this long has lost its trainer: the
   * sweeper queues it again (a new attempt), or fails it `trainer_lost` after TRAINING_MAX_ATTEMPTS.
   * One epoch must report within it.
   */
  TRAINING_STUCK_AFTER_SECONDS: positiveInt(3600),
  TRAINING_MAX_ATTEMPTS: positiveInt(3),

  /**
   * Largest model file a version upload may carry (the signed `PUT`, streamed to R2 while its
   * sha256 is computed, then read back once to check that it is a detection model).
   */
  MAX_MODEL_BYTES: positiveInt(256 * 1024 * 1024),
  /** Lifetime of a signed model upload URL; each URL takes one upload. */
  MODEL_UPLOAD_TTL_SECONDS: z.coerce.number().int().positive().max(86_400).default(900),

  /**
   * Evaluations of new versions (docs/operations.md, Evaluations). Validation items one
   * evaluation runs (the first ones by id); each is a signed URL in the claim.
   */
  EVALUATION_MAX_ITEMS: positiveInt(1000),
  /**
   * An evaluation `running` without a progress report for this long has lost its service: a
   * redelivered message claims it again (before that it is answered `busy`), and the sweeper
   * re-enqueues it, or fails it after EVALUATION_MAX_ATTEMPTS claims. A queued one not delivered
   * within it is enqueued again.
   */
  EVALUATION_STUCK_AFTER_SECONDS: positiveInt(300),
  EVALUATION_MAX_ATTEMPTS: positiveInt(3),
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
