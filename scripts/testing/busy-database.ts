import type { SqlOverHttp } from "../local-stack/sql-over-http";
import { eventually } from "./job-fixtures";

/**
 * Occupies one connection of a local SQL-over-HTTP endpoint with a statement that sleeps
 * `seconds`, sent as the Neon driver sends it, and resolves once the endpoint counts it busy.
 * `done` is the statement's answer, to await when the test is done with the saturated pool (an
 * object, since an async function would otherwise wait for it before resolving).
 */
export async function occupyConnection(
  endpoint: SqlOverHttp,
  databaseUrl: string,
  seconds: number,
): Promise<{ done: Promise<Response> }> {
  const before = endpoint.stats().busy;
  const occupying = fetch(endpoint.url, {
    method: "POST",
    headers: {
      "Content-Type": "application/json",
      "Neon-Connection-String": databaseUrl,
      "Neon-Raw-Text-Output": "true",
      "Neon-Array-Mode": "true",
    },
    body: JSON.stringify({ query: `select pg_sleep(${seconds})`, params: [] }),
  });
  await eventually(
    async () => (endpoint.stats().busy > before ? true : undefined),
    5000,
    "the slow statement holding a connection",
  );
  return { done: occupying };
}
