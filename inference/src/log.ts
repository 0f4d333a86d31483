import type { Logger } from "@common/logger";

/** The service logs exactly like the edge: one JSON object per line. */
export { createLogger, type Logger, type LogLevel } from "@common/logger";

/** For tests and benchmarks: drops everything. */
export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  child: () => silentLogger,
};
