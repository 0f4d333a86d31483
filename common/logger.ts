export type LogLevel = "debug" | "info" | "warn" | "error";

const rank: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export type Logger = {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): Logger;
};

/** One JSON object per line: what Workers Logs and any log shipper index without parsing rules. */
export function createLogger(level: LogLevel = "info", base: Record<string, unknown> = {}): Logger {
  const emit = (at: LogLevel, msg: string, fields?: Record<string, unknown>) => {
    if (rank[at] < rank[level]) return;
    const line = JSON.stringify({ time: new Date().toISOString(), level: at, msg, ...base, ...fields });
    if (at === "error") console.error(line);
    else if (at === "warn") console.warn(line);
    else console.log(line);
  };
  return {
    debug: (msg, fields) => emit("debug", msg, fields),
    info: (msg, fields) => emit("info", msg, fields),
    warn: (msg, fields) => emit("warn", msg, fields),
    error: (msg, fields) => emit("error", msg, fields),
    child: (fields) => createLogger(level, { ...base, ...fields }),
  };
}

/** The message of any thrown value: an Error's own, anything else as text. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

const MAX_CAUSES = 5;

/**
 * A failed query's message without its bound values: drizzle writes `Failed query: <sql>\nparams:
 * <values>`, and those values are user data (emails, password hashes, review notes) that must
 * never reach a log. The SQL text stays: it says which statement failed.
 */
function withoutParams(text: string): string {
  return text.replace(/\nparams: [^\n]*/g, "\nparams: (not logged)");
}

/** One link of a cause chain: the message, and the code a driver or the OS put on it. */
function describeCause(cause: unknown): Record<string, unknown> {
  if (!(cause instanceof Error)) return { message: withoutParams(String(cause)) };
  const code = (cause as { code?: unknown }).code;
  return { name: cause.name, message: withoutParams(cause.message), ...(code === undefined ? {} : { code }) };
}

/**
 * Serialisable view of an unknown thrown value, with its `cause` chain: a failed query names
 * its SQL at the top and the reason (SQLSTATE, connection refused, ...) underneath.
 */
export function errorFields(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { error: withoutParams(String(error)) };
  const causes: Record<string, unknown>[] = [];
  for (let cause = error.cause; cause !== undefined && causes.length < MAX_CAUSES; ) {
    causes.push(describeCause(cause));
    cause = cause instanceof Error ? cause.cause : undefined;
  }
  const code = (error as { code?: unknown }).code;
  return {
    error: withoutParams(error.message),
    errorName: error.name,
    ...(code === undefined ? {} : { errorCode: code }),
    ...(causes.length ? { causes } : {}),
    stack: error.stack === undefined ? undefined : withoutParams(error.stack),
  };
}
