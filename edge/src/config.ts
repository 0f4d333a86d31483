import { z } from "zod";
import type { LogLevel } from "./logger";

const csv = z
  .string()
  .default("")
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
  CORS_ORIGINS: csv,
  INFERENCE_URL: z.url({ protocol: /^https?$/ }).optional(),
  HEALTH_CHECK_TIMEOUT_MS: positiveInt(2000),
  /** JWK set (JSON) of ES256 keys; the first signs. See README, "Key rotation". */
  JWT_KEYS: z.string().min(1),
  JWT_ISSUER: z.string().default("defect-detection"),
  JWT_AUDIENCE: z.string().default("defect-detection-api"),
  ACCESS_TOKEN_TTL_SECONDS: positiveInt(900),
  REFRESH_TOKEN_TTL_DAYS: positiveInt(30),
  RATE_LIMIT_AUTH_IP: rateLimit("20/60s"),
  RATE_LIMIT_AUTH_ACCOUNT: rateLimit("5/60s"),
  RATE_LIMIT_READ: rateLimit("600/60s"),
  RATE_LIMIT_WRITE: rateLimit("120/60s"),
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
