import { createDb } from "../../../db/client-worker";
import { readConfig } from "../../../edge/src/config";
import type { Bindings } from "../../../edge/src/env";
import { createLogger } from "../../../edge/src/logger";
import type { HandlerContext } from "./context";
import { handleDetectDeadLetters } from "./detect-dead-letter";
import { pushDetectBatch } from "./detect-push";
import { deliverWebhooks, failDeadWebhooks } from "./webhook-delivery";

/** Queue names as in wrangler.toml (and the local stack's dev consumer for `detect`). */
const handlers: Record<string, (batch: MessageBatch<unknown>, ctx: HandlerContext) => Promise<void>> = {
  detect: pushDetectBatch,
  "detect-dlq": handleDetectDeadLetters,
  webhooks: deliverWebhooks,
  "webhooks-dlq": failDeadWebhooks,
};

/** The Worker's `queue` handler: one database pool per batch, dispatch by queue name. */
export async function handleQueue(
  batch: MessageBatch<unknown>,
  env: Bindings,
  executionCtx: ExecutionContext,
): Promise<void> {
  const config = readConfig(env);
  const logger = createLogger(config.LOG_LEVEL, { queue: batch.queue });
  const handler = handlers[batch.queue];
  if (!handler) {
    // A consumer bound in configuration without code here: leave the messages for redelivery.
    logger.error("no handler for queue", { messages: batch.messages.length });
    batch.retryAll();
    return;
  }
  const { db, close } = createDb({ connectionString: config.DATABASE_URL, wsProxy: config.DB_WS_PROXY });
  try {
    await handler(batch, { env, config, db, logger });
  } finally {
    executionCtx.waitUntil(close());
  }
}
