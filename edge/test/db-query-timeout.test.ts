/**
 * A database endpoint that takes a statement and never answers must not hold requests open:
 * past `DB_QUERY_TIMEOUT_MS` the edge answers 503 `database_unavailable` with `Retry-After`.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { uniqueEmail } from "@scripts/testing/auth-fixtures";
import { expectError } from "@scripts/testing/responses";
import { STARTUP_TIMEOUT_MS, startTestWorker, type TestWorker } from "@scripts/testing/test-worker";

const TIMEOUT_MS = 1000;
const pending: Array<() => void> = [];
/** Accepts every SQL-over-HTTP request and answers none, until the client gives up. */
const silentEndpoint = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  fetch: (request) =>
    new Promise<Response>((resolve) => {
      const answer = () => resolve(new Response(null, { status: 499 }));
      pending.push(answer);
      request.signal.addEventListener("abort", answer);
    }),
});
let worker: TestWorker;

beforeAll(async () => {
  worker = await startTestWorker({
    sqlEndpoint: `http://127.0.0.1:${silentEndpoint.port}/sql`,
    vars: { DB_QUERY_TIMEOUT_MS: String(TIMEOUT_MS) },
  });
}, STARTUP_TIMEOUT_MS);

afterAll(async () => {
  await worker?.dispose();
  for (const answer of pending.splice(0)) answer();
  await silentEndpoint.stop(true);
});

test("a statement the endpoint never answers becomes 503 with Retry-After after the query timeout", async () => {
  const started = Date.now();
  const response = await worker.fetch("/v1/auth/register", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ email: uniqueEmail(), password: "correct horse battery staple 42" }),
  });
  const elapsed = Date.now() - started;
  await expectError(response, 503, "database_unavailable");
  expect(Number(response.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
  expect(elapsed).toBeGreaterThanOrEqual(TIMEOUT_MS - 50);
  expect(elapsed).toBeLessThan(TIMEOUT_MS + 5000);
  expect(pending.length).toBeGreaterThan(0);
});
