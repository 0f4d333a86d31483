import { types } from "@neondatabase/serverless";

/**
 * The Neon driver's date parsers as it ships them, captured by the test preload before any test
 * file runs. drizzle's neon-http driver replaces them process-wide with identities when a
 * database handle is created, and Bun shares modules across test files, so a test about the
 * driver's own parsing puts these back first.
 */
const DATE_TYPES = [1082, 1114, 1115, 1182, 1184, 1185, 1186, 1187, 1231];

const shipped = new Map(DATE_TYPES.map((oid) => [oid, types.getTypeParser(oid)]));

/** Restores the shipped date parsers; returns a function that puts back what was set before. */
export function useShippedDateParsers(): () => void {
  const current = new Map(DATE_TYPES.map((oid) => [oid, types.getTypeParser(oid)]));
  for (const [oid, parser] of shipped) types.setTypeParser(oid, parser);
  return () => {
    for (const [oid, parser] of current) types.setTypeParser(oid, parser);
  };
}
