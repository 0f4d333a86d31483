import type { Config } from "../config";
import type { Processor } from "../core/processor";
import type { Logger } from "../log";
import type { Metrics } from "../metrics";
import type { ModelRegistry } from "../model/registry";

/** What the HTTP layer needs from the running service. */
export interface ServiceContext {
  config: Pick<Config, "API_TOKEN" | "MAX_IMAGE_BYTES" | "DEFAULT_CONF" | "DEFAULT_IOU" | "DEFAULT_MAX_DET">;
  models: ModelRegistry;
  /** Absent when no edge is configured: the push route then answers 503. */
  processor: Processor | null;
  metrics: Metrics;
  logger: Logger;
  /** True once SIGTERM arrived: readiness fails and new queue work is refused. */
  isShuttingDown: () => boolean;
}

export type AppEnv = { Variables: { requestId: string } };
