import { createLogger } from "@common/logger";
import { readConfig } from "@edge/config";
import { databaseFor } from "@edge/database";
import type { Bindings } from "@edge/env";
import type { HandlerContext } from "./context";
import { handleDetectDeadLetters } from "./detect-dead-letter";
import { failDeadReports, renderReports } from "./report-render";
import { handleTrainDeadLetters } from "./train-dead-letter";
import { deliverWebhooks, failDeadWebhooks } from "./webhook-delivery";

/**
 * Queue names as in wrangler.toml's top level; an environment's queues carry its
 * `QUEUE_NAME_SUFFIX` on top. `detect` and `train` have no Worker consumer: the inference and
 * trainer services pull them.
 */
const handlers: Record<string, (batch: MessageBatch<unknown>, ctx: HandlerContext) => Promise<void>> = {
  "detect-dlq": handleDetectDeadLetters,
  "train-dlq": handleTrainDeadLetters,
  webhooks: deliverWebhooks,
  "webhooks-dlq": failDeadWebhooks,
  reports: renderReports,
  "reports-dlq": failDeadReports,
};

/** The Worker's `queue` handler: one database pool per batch, dispatch by queue name. */
export async function handleQueue(batch: MessageBatch<unknown>, env: Bindings): Promise<void> {
  const config = readConfig(env);
  const logger = createLogger(config.LOG_LEVEL, { queue: batch.queue });
  const suffix = config.QUEUE_NAME_SUFFIX;
  const name = suffix && batch.queue.endsWith(suffix) ? batch.queue.slice(0, -suffix.length) : batch.queue;
  const handler = handlers[name];
  if (!handler) {
    // A consumer bound in configuration without code here: leave the messages for redelivery.
    logger.error("no handler for queue", { messages: batch.messages.length });
    batch.retryAll();
    return;
  }
  await handler(batch, { env, config, db: databaseFor(config), logger });
}
