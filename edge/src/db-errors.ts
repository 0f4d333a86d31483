import { ApiError } from "./errors";

/** Messages the Neon driver and PostgreSQL give when the database cannot be reached at all. */
const UNREACHABLE = [
  /connection terminated/i,
  /connect(ion)? (refused|timeout|timed out)/i,
  /ECONNREFUSED|ECONNRESET/,
  /websocket/i,
  /the database system is (shutting down|starting up)/i,
  /terminating connection/i,
];

/** True when `error` (or anything in its cause chain) says the database is unreachable. */
export function isDatabaseUnavailable(error: unknown): boolean {
  for (let current = error, depth = 0; current && depth < 5; depth++) {
    const message = current instanceof Error ? current.message : String(current);
    if (UNREACHABLE.some((pattern) => pattern.test(message))) return true;
    current = current instanceof Error ? current.cause : undefined;
  }
  return false;
}

export const databaseUnavailable = (cause?: unknown) =>
  new ApiError("database_unavailable", "The database is unavailable; retry shortly", {
    headers: { "Retry-After": "5" },
    cause,
  });
