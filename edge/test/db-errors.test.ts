import { afterEach, beforeEach, describe, expect, spyOn, test } from "bun:test";
import { NeonDbError } from "@neondatabase/serverless";
import { readError } from "@scripts/testing/responses";
import { DrizzleQueryError } from "drizzle-orm/errors";
import { Hono } from "hono";
import { DATABASE_RETRY_AFTER_SECONDS, isDatabaseUnavailable } from "../src/db-errors";
import type { AppEnv } from "../src/env";
import { errorHandler } from "../src/middleware/error-handler";

// Every shape in which the drivers report "the database cannot be reached" must answer 503 with
// Retry-After: a 500 tells clients the request was wrong and makes them give up.

/** What workerd and the Neon driver's WebSocket hand over: Events, not Errors. */
class ErrorEvent extends Event {
  constructor(readonly error?: unknown) {
    super("error");
  }
}
class CloseEvent extends Event {
  constructor(
    readonly code = 1006,
    readonly reason = "",
  ) {
    super("close");
  }
}

const wrapped = (cause: unknown) =>
  new DrizzleQueryError("select 1", [], Object.assign(new NeonDbError("driver"), { cause }));

function neonFetchFailure(cause: unknown): NeonDbError {
  const error = new NeonDbError(`Error connecting to database: ${cause}`);
  Object.assign(error, { sourceError: cause });
  return error;
}

const unavailable: Array<[string, () => unknown]> = [
  ["a WebSocket ErrorEvent without a message", () => new ErrorEvent()],
  ["a WebSocket CloseEvent", () => new CloseEvent()],
  ["the runtime's own ErrorEvent", () => new globalThis.ErrorEvent("error")],
  ["the runtime's own CloseEvent", () => new globalThis.CloseEvent("close", { code: 1006 })],
  [
    "an ErrorEvent under a drizzle query error",
    // drizzle types the cause as an Error; the driver rejects with the Event itself.
    () => new DrizzleQueryError("select 1", [], new ErrorEvent() as unknown as Error),
  ],
  ["an ErrorEvent three links down", () => wrapped(new ErrorEvent())],
  ["a fetch TypeError (workerd)", () => new TypeError("Network connection lost.")],
  ["a fetch TypeError (undici)", () => new TypeError("fetch failed")],
  [
    "a fetch TypeError as the Neon driver wraps it, under drizzle",
    () => new DrizzleQueryError("select 1", [], neonFetchFailure(new TypeError("fetch failed"))),
  ],
  [
    "the Neon driver's sourceError alone saying so",
    () =>
      new DrizzleQueryError(
        "select 1",
        [],
        Object.assign(new NeonDbError("driver"), { sourceError: new TypeError("fetch failed") }),
      ),
  ],
  [
    "a refused connection by code",
    () => wrapped(Object.assign(new Error("connect"), { code: "ECONNREFUSED" })),
  ],
  [
    "Bun's refused connection",
    () => Object.assign(new Error("Unable to connect"), { code: "ConnectionRefused" }),
  ],
  ["an AbortError", () => wrapped(new DOMException("The operation was aborted", "AbortError"))],
  ["a TimeoutError of AbortSignal.timeout", () => new DOMException("signal timed out", "TimeoutError")],
  [
    "a statement timeout",
    () => wrapped(Object.assign(new NeonDbError("canceling statement"), { code: "57014" })),
  ],
  ["a connection exception SQLSTATE", () => Object.assign(new NeonDbError("lost"), { code: "08006" })],
  ["too many connections", () => Object.assign(new NeonDbError("sorry"), { code: "53300" })],
  ["the SQL endpoint answering 503", () => new NeonDbError("Server error (HTTP status 503): pool exhausted")],
];

const notUnavailable: Array<[string, () => unknown]> = [
  ["a bug's TypeError", () => new TypeError("Cannot read properties of undefined (reading 'id')")],
  ["a bug's TypeError under drizzle", () => wrapped(new TypeError("x is not a function"))],
  ["a unique violation", () => wrapped(Object.assign(new NeonDbError("duplicate key"), { code: "23505" }))],
  ["an invalid value", () => Object.assign(new NeonDbError("invalid input syntax"), { code: "22P02" })],
  ["a plain error", () => new Error("boom")],
  ["a thrown string", () => "boom"],
  ["nothing", () => undefined],
];

describe("isDatabaseUnavailable", () => {
  for (const [what, make] of unavailable)
    test(`yes: ${what}`, () => expect(isDatabaseUnavailable(make())).toBe(true));
  for (const [what, make] of notUnavailable)
    test(`no: ${what}`, () => expect(isDatabaseUnavailable(make())).toBe(false));

  test("a cause chain that loops ends", () => {
    const a = new Error("a");
    const b = new Error("b", { cause: a });
    a.cause = b;
    expect(isDatabaseUnavailable(a)).toBe(false);
  });
});

describe("the error handler", () => {
  let logged: string[] = [];
  let spy: ReturnType<typeof spyOn>;
  beforeEach(() => {
    logged = [];
    spy = spyOn(console, "error").mockImplementation((line: string) => {
      logged.push(line);
    });
  });
  afterEach(() => spy.mockRestore());

  const answer = async (error: unknown) => {
    const app = new Hono<AppEnv>().onError(errorHandler);
    app.get("/", () => {
      throw error;
    });
    return app.request("/");
  };

  // Hono hands only Errors to the error handler; a bare Event arrives wrapped (drizzle wraps the
  // failure of every query it runs), as the chains above do.
  for (const [what, make] of unavailable.filter(([, make]) => make() instanceof Error)) {
    test(`${what} → 503 database_unavailable with Retry-After`, async () => {
      const response = await answer(make());
      expect(response.status).toBe(503);
      expect(response.headers.get("retry-after")).toBe(String(DATABASE_RETRY_AFTER_SECONDS));
      expect((await readError(response)).code).toBe("database_unavailable");
    });
  }

  // SQLSTATE class 23 comes from a value the request carried that a constraint refuses: a 4xx
  // with a stable code, never a 500 (and never "retry", as for the classes above).
  const violation = (code: string) =>
    new DrizzleQueryError("insert ...", [], Object.assign(new NeonDbError("violates constraint"), { code }));
  test.each([
    ["23514 check_violation", "23514", 400, "validation_failed"],
    ["23502 not_null_violation", "23502", 400, "validation_failed"],
    ["23505 unique_violation", "23505", 409, "conflict"],
    ["23503 foreign_key_violation", "23503", 409, "conflict"],
    ["23P01 exclusion_violation", "23P01", 409, "conflict"],
    ["22003 numeric_value_out_of_range", "22003", 400, "validation_failed"],
  ])("SQLSTATE %s is a 4xx", async (_what, code, status, errorCode) => {
    const response = await answer(violation(code));
    expect(response.status).toBe(status);
    expect((await readError(response)).code).toBe(errorCode as never);
  });

  test("a bug stays a 500", async () => {
    expect((await answer(new TypeError("Cannot read properties of undefined"))).status).toBe(500);
  });

  test("the log line carries the cause chain", async () => {
    await answer(new DrizzleQueryError("select 1", [], neonFetchFailure(new TypeError("fetch failed"))));
    const line = JSON.parse(logged.find((l) => l.includes("database unavailable")) ?? "{}");
    expect(line.error).toContain("Failed query: select 1");
    expect(line.causes).toEqual([
      expect.objectContaining({
        name: "NeonDbError",
        message: "Error connecting to database: TypeError: fetch failed",
      }),
    ]);
  });
});
