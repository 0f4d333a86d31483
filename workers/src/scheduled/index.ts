import { createDb } from "../../../db/client-worker";
import { readConfig } from "../../../edge/src/config";
import type { Bindings } from "../../../edge/src/env";
import { createLogger } from "../../../edge/src/logger";
import { sweep } from "./sweeper";

/** The Worker's `scheduled` handler (wrangler.toml `[triggers] crons`). */
export async function handleScheduled(
  controller: ScheduledController,
  env: Bindings,
  executionCtx: ExecutionContext,
): Promise<void> {
  const config = readConfig(env);
  const logger = createLogger(config.LOG_LEVEL, { cron: controller.cron });
  const { db, close } = createDb({ connectionString: config.DATABASE_URL, wsProxy: config.DB_WS_PROXY });
  try {
    await sweep({ env, config, db, logger });
  } finally {
    executionCtx.waitUntil(close());
  }
}
