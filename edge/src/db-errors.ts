import { ApiError } from "./errors";

/**
 * SQLSTATE classes and codes that mean "the database cannot take this now", not "this request
 * is wrong": connection exceptions (08), insufficient resources (53: too many connections, out
 * of memory or disk), operator intervention (57P01-57P03: shutdown, crash, still starting).
 */
const UNAVAILABLE_SQLSTATE = /^(08...|53...|57P0[123])$/;

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

/** True when `error` (or anything in its cause chain) says the database is unavailable. */
export function isDatabaseUnavailable(error: unknown): boolean {
  for (let current = error, depth = 0; current && depth < 5; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string" && UNAVAILABLE_SQLSTATE.test(code)) return true;
    const message = current instanceof Error ? current.message : String(current);
    if (UNREACHABLE.some((pattern) => pattern.test(message))) return true;
    current = current instanceof Error ? current.cause : undefined;
  }
  return false;
}

/**
 * SQLSTATE class 22, data exception: a value PostgreSQL cannot store (a NUL character, an invalid
 * encoding, a number out of range) that no schema caught. The request is wrong, not the database.
 */
export function isInvalidValue(error: unknown): boolean {
  for (let current = error, depth = 0; current && depth < 5; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string" && /^22...$/.test(code)) return true;
    current = current instanceof Error ? current.cause : undefined;
  }
  return false;
}

export const invalidValue = (cause?: unknown) =>
  new ApiError("validation_failed", "A value in the request cannot be stored", { cause });

/** Seconds a client should wait before retrying after the database refused work. */
export const DATABASE_RETRY_AFTER_SECONDS = 2;

export const databaseUnavailable = (cause?: unknown) =>
  new ApiError("database_unavailable", "The database is unavailable; retry shortly", {
    headers: { "Retry-After": String(DATABASE_RETRY_AFTER_SECONDS) },
    cause,
  });
