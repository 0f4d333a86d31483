import { ApiError } from "./errors";

/**
 * SQLSTATE classes and codes that mean "the database cannot take this now", not "this request
 * is wrong": connection exceptions (08), insufficient resources (53: too many connections, out
 * of memory or disk), operator intervention (57014 a statement timeout or cancel, 57P01-57P03:
 * shutdown, crash, still starting).
 */
const UNAVAILABLE_SQLSTATE = /^(08...|53...|57014|57P0[123])$/;

/**
 * Codes the runtimes put on transport failures (Node and undici's `code`, Bun's names for the
 * same): the connection never formed or broke, whatever the query was.
 */
const TRANSPORT_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ECONNABORTED",
  "ETIMEDOUT",
  "EPIPE",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EAI_AGAIN",
  "ConnectionRefused",
  "ConnectionClosed",
  "UND_ERR_SOCKET",
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_HEADERS_TIMEOUT",
]);

/** Messages of the Neon driver and PostgreSQL when the database cannot be reached at all. */
const UNREACHABLE = [
  /connection terminated/i,
  /connect(ion)? (refused|timeout|timed out)/i,
  /ECONNREFUSED|ECONNRESET/,
  /websocket/i,
  /the database system is (shutting down|starting up)/i,
  /terminating connection/i,
  /too many clients/i,
  // neon(): the SQL-over-HTTP endpoint could not be reached, or answered with a server error.
  /Error connecting to database/,
  /Server error \(HTTP status (429|5\d\d)\)/,
];

/**
 * What `fetch` throws when the request never got an answer (workerd: "Network connection lost",
 * undici: "fetch failed", Bun: "Unable to connect"). Only these: a TypeError is also what a bug
 * throws, and a bug must stay a 500.
 */
const FETCH_TRANSPORT =
  /fetch failed|network connection lost|network error|unable to connect|socket hang up|connection (was )?(closed|reset)/i;

/** How many links of a cause chain are followed (a driver wraps two or three deep). */
const MAX_CHAIN = 8;

/**
 * `ErrorEvent` and `CloseEvent` of the driver's WebSocket: an Event, not an Error, so it has no
 * useful message (`String(event)` is "[object ErrorEvent]"); its kind alone says the connection
 * failed.
 */
function isSocketEvent(value: object): boolean {
  const tag = Object.prototype.toString.call(value);
  const name = (value as { constructor?: { name?: unknown } }).constructor?.name;
  return [tag, `[object ${String(name)}]`].some(
    (kind) => kind === "[object ErrorEvent]" || kind === "[object CloseEvent]",
  );
}

/**
 * The links of `error`'s chain: `cause` (drizzle's DrizzleQueryError, standard wrapping), the Neon
 * driver's `sourceError` (what fetch threw under "Error connecting to database"), and an
 * ErrorEvent's `error`. Bounded, and each value visited once.
 */
function chain(error: unknown): unknown[] {
  const links: unknown[] = [];
  const pending = [error];
  while (pending.length > 0 && links.length < MAX_CHAIN) {
    const current = pending.shift();
    if (current === undefined || current === null || links.includes(current)) continue;
    links.push(current);
    if (typeof current !== "object") continue;
    const { cause, sourceError, error: inner } = current as Record<string, unknown>;
    pending.push(cause, sourceError, inner);
  }
  return links;
}

function saysUnavailable(link: unknown): boolean {
  if (typeof link !== "object" || link === null) return UNREACHABLE.some((p) => p.test(String(link)));
  if (isSocketEvent(link)) return true;
  const { code, name } = link as { code?: unknown; name?: unknown };
  if (typeof code === "string" && (UNAVAILABLE_SQLSTATE.test(code) || TRANSPORT_CODES.has(code))) return true;
  // AbortSignal.timeout() and the driver's own timeouts: the database did not answer in time.
  if (name === "AbortError" || name === "TimeoutError") return true;
  const message =
    link instanceof Error ? link.message : String((link as { message?: unknown }).message ?? "");
  if (link instanceof TypeError && FETCH_TRANSPORT.test(message)) return true;
  return UNREACHABLE.some((pattern) => pattern.test(message));
}

/**
 * True when `error`, or anything in its chain, says the database is unavailable: a refused or
 * broken connection (SQL over HTTP or WebSocket), a timeout, or PostgreSQL saying it cannot take
 * work. Such a failure is answered 503 with Retry-After, never 500.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  return chain(error).some(saysUnavailable);
}

/** The SQLSTATE of the first link of `error`'s cause chain that carries one. */
function sqlState(error: unknown): string | undefined {
  for (let current = error, depth = 0; current && depth < 5; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string" && /^[0-9A-Z]{5}$/.test(code)) return code;
    current = current instanceof Error ? current.cause : undefined;
  }
  return undefined;
}

/**
 * SQLSTATE class 22, data exception: a value PostgreSQL cannot store (a NUL character, an invalid
 * encoding, a number out of range) that no schema caught. The request is wrong, not the database.
 */
export function isInvalidValue(error: unknown): boolean {
  return /^22...$/.test(sqlState(error) ?? "");
}

export const invalidValue = (cause?: unknown) =>
  new ApiError("validation_failed", "A value in the request cannot be stored", { cause });

/**
 * SQLSTATE class 23, integrity constraint violation, that no schema or handler caught: the
 * request's values break a rule of the tables, so the answer is a 4xx, never a 500.
 *
 * - 23502 not null and 23514 check: the value itself is wrong → 400 `validation_failed`;
 * - 23505 unique, 23503 foreign key, 23P01 exclusion, 23001 restrict and any other code of the
 *   class: the value clashes with what is stored now (a duplicate, a row deleted meanwhile)
 *   → 409 `conflict`.
 *
 * Handlers that expect a violation (a taken email, a duplicate name) still catch it themselves
 * and answer their own code; this is the floor under the ones nobody expected.
 */
export function integrityViolation(error: unknown): ApiError | undefined {
  const state = sqlState(error);
  if (state === undefined || !state.startsWith("23")) return undefined;
  if (state === "23502" || state === "23514") {
    return new ApiError("validation_failed", "A value in the request breaks a rule of the stored data", {
      cause: error,
    });
  }
  return new ApiError("conflict", "The request conflicts with the stored data; reload and retry", {
    cause: error,
  });
}

/** Seconds a client should wait before retrying after the database refused work. */
export const DATABASE_RETRY_AFTER_SECONDS = 2;

export const databaseUnavailable = (cause?: unknown) =>
  new ApiError("database_unavailable", "The database is unavailable; retry shortly", {
    headers: { "Retry-After": String(DATABASE_RETRY_AFTER_SECONDS) },
    cause,
  });
