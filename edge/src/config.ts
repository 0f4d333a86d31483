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
});

export type Config = z.infer<typeof configSchema>;

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
