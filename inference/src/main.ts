import { errorMessage } from "@common/logger";
import { type Config, loadConfig, pullConsumerEnabled, redactConfig } from "./config";
import { createLogger } from "./log";
import { createService } from "./service";

/**
 * Starts the inference service: loads and warms every model, serves HTTP, pulls from the queue
 * when configured. SIGTERM/SIGINT: stop pulling, finish in-flight work, settle it, exit.
 */
let config: Config;
try {
  config = loadConfig();
} catch (error) {
  // The message already lists every invalid variable; a stack trace would only bury it.
  console.error(errorMessage(error));
  process.exit(1);
}
const logger = createLogger(config.LOG_LEVEL, { service: "inference" });
logger.info("configuration", { config: redactConfig(config) });

const service = await createService(config, logger);
if (service.models.list().length === 0) {
  // Stay up, not ready: /ready answers 503 and jobs fail with model_not_found until a model is added
  // and the service restarted. A fresh checkout runs the local stack before a model is trained.
  logger.error("no model could be loaded; serving none", { modelsDir: config.MODELS_DIR });
}
await service.models.warmup();
if (service.processor === null)
  logger.warn("INFERENCE_EDGE_URL/INFERENCE_CALLBACK_TOKEN unset: queue sources disabled");
if (config.API_TOKEN === undefined)
  logger.warn("INFERENCE_API_TOKEN unset: /v1/detect refuses every request");

const server = Bun.serve({
  port: config.PORT,
  hostname: config.HOST,
  fetch: service.app.fetch,
  // The route's own limit answers with the service's error body; this only stops absurd uploads.
  maxRequestBodySize: config.MAX_IMAGE_BYTES + 1024 * 1024,
});
service.start();
logger.info("listening", { url: server.url.href, pullConsumer: pullConsumerEnabled(config) });

let stopping = false;
async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  logger.info("shutting down", { signal });
  const deadline = setTimeout(() => {
    logger.error("shutdown timed out; unsettled messages will be redelivered", {
      timeoutMs: config.SHUTDOWN_TIMEOUT_MS,
    });
    process.exit(1);
  }, config.SHUTDOWN_TIMEOUT_MS);
  // Stop pulling and let pushed requests already accepted finish before the listener closes.
  await Promise.all([service.drain(), server.stop()]);
  await service.close();
  clearTimeout(deadline);
  logger.info("stopped");
  process.exit(0);
}
process.on("SIGTERM", () => void shutdown("SIGTERM"));
process.on("SIGINT", () => void shutdown("SIGINT"));
