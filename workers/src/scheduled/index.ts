import { createLogger } from "@common/logger";
import { readConfig } from "@edge/config";
import { databaseFor } from "@edge/database";
import type { Bindings } from "@edge/env";
import { sweep } from "./sweeper";

/** The Worker's `scheduled` handler (wrangler.toml `[triggers] crons`). */
export async function handleScheduled(controller: ScheduledController, env: Bindings): Promise<void> {
  const config = readConfig(env);
  const logger = createLogger(config.LOG_LEVEL, { cron: controller.cron });
  await sweep({ env, config, db: databaseFor(config), logger });
}
