import { afterAll, describe, expect, test } from "bun:test";
import { connect } from "node:net";
import { NeonDbError, neon, neonConfig } from "@neondatabase/serverless";
import { useShippedDateParsers } from "@scripts/testing/neon-type-parsers";
import { readBody } from "@scripts/testing/responses";
import { sharedServices } from "@scripts/testing/shared-services";
import { asc } from "drizzle-orm";
import { drizzle } from "drizzle-orm/neon-http";
import {
  bigint,
  boolean,
  date,
  integer,
  jsonb,
  numeric,
  pgTable,
  text,
  timestamp,
  uuid,
} from "drizzle-orm/pg-core";
import pg from "pg";
import { z } from "zod";
import { freePort } from "../ports";
import { startSqlOverHttp } from "../sql-over-http";

const { pg: server } = await sharedServices();
const database = `sql_over_http_${crypto.randomUUID().replaceAll("-", "")}`;
const otherDatabase = `${database}_other`;
await Promise.all([server.createDatabase(database), server.createDatabase(otherDatabase)]);
const target = { host: "127.0.0.1", port: server.port };
const endpoint = startSqlOverHttp({ port: await freePort(), target, poolSize: 2 });
const previousEndpoint = neonConfig.fetchEndpoint;
neonConfig.fetchEndpoint = endpoint.url;
const sql = neon(server.url(database));

afterAll(async () => {
  neonConfig.fetchEndpoint = previousEndpoint;
  await endpoint.stop();
  await Promise.all([server.dropDatabase(database), server.dropDatabase(otherDatabase)]);
});

/** What the driver rejected with, for asserting on its fields. */
async function failure(promise: Promise<unknown>): Promise<NeonDbError> {
  const error = await promise.then(
    () => undefined,
    (error: unknown) => error,
  );
  expect(error).toBeInstanceOf(NeonDbError);
  return error as NeonDbError;
}

/** A raw POST to an endpoint, for what the driver never sends. */
function post(url: string, body: BodyInit, connectionString = server.url(database)) {
  return fetch(url, {
    method: "POST",
    body,
    headers: { "Neon-Connection-String": connectionString, "Neon-Raw-Text-Output": "true" },
  });
}

/**
 * Runs `work` while a separate connection counts the server connections to this file's databases
 * in `pg_stat_activity`, so the bound is checked on the server, not only in the endpoint's stats.
 */
async function whileSampling<T>(work: () => Promise<T>) {
  const sampler = new pg.Client(server.url(database));
  await sampler.connect();
  let sampling = true;
  let mostConnections = 0;
  let mostWaiting = 0;
  const sampled = (async () => {
    while (sampling) {
      const { rows } = await sampler.query<{ n: number }>(
        `select count(*)::int as n from pg_stat_activity
         where datname = any($1) and pid <> pg_backend_pid() and backend_type = 'client backend'`,
        [[database, otherDatabase]],
      );
      mostConnections = Math.max(mostConnections, rows[0]?.n ?? 0);
      mostWaiting = Math.max(mostWaiting, endpoint.stats().waiting);
    }
  })();
  try {
    return { result: await work(), mostConnections, mostWaiting };
  } finally {
    sampling = false;
    await sampled;
    await sampler.end();
  }
}

/** The first bytes a server answers to `request` written on a plain TCP connection. */
function firstReply(port: number, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: "127.0.0.1", port }, () => socket.write(request));
    socket.setTimeout(2000, () => {
      socket.destroy();
      reject(new Error("no answer within 2 s"));
    });
    socket.once("data", (data) => {
      socket.destroy();
      resolve(data.toString());
    });
    socket.once("error", reject);
  });
}

/** An endpoint's JSON error answer, as Neon's SQL over HTTP gives it: a message, maybe a code, pg's fields. */
const SqlErrorSchema = z.looseObject({ message: z.string(), code: z.string().optional() });

/** The `message` of an endpoint's JSON error answer. */
async function messageOf(response: Response): Promise<string> {
  return (await readBody(response, SqlErrorSchema)).message;
}

describe("SQL over HTTP with the Neon driver", () => {
  test("values round-trip through the driver's own type parsers", async () => {
    // drizzle's neon-http driver swaps the driver's global date parsers; other files may have run it.
    const restore = useShippedDateParsers();
    try {
      const instant = new Date("2024-02-29T12:34:56.789Z");
      const bytes = Buffer.from([0, 1, 127, 128, 254, 255]);
      const rows = await sql`select
        ${instant}::timestamptz as tstz,
        '2024-02-29 13:14:15.123456'::timestamp as ts,
        '2024-02-29'::date as day,
        ${JSON.stringify({ a: [1, { b: null }], s: "é" })}::json as json,
        ${{ nested: { ok: true } }}::jsonb as jsonb,
        ${JSON.stringify([1, "two", null])}::jsonb as json_array,
        ${bytes} as bytes,
        ${new Uint8Array([9, 8, 7])} as uint8,
        ${2147483647}::int as int,
        ${"9007199254740993"}::bigint as big,
        ${"12345678901234567890.000000000000000001"}::numeric as num,
        ${["a", "b c", null, 'q"uote', "{braces}"]}::text[] as texts,
        ${[1, -2, 3]}::int[] as ints,
        ${true}::boolean as yes,
        ${false}::boolean as no,
        ${"0b7e6a8c-3f4d-4b4e-9a57-1f2e3d4c5b6a"}::uuid as id,
        ${null}::int as nothing`;
      expect(rows).toHaveLength(1);
      const row = rows[0] as Record<string, unknown>;
      expect(row.tstz).toBeInstanceOf(Date);
      expect((row.tstz as Date).toISOString()).toBe("2024-02-29T12:34:56.789Z");
      expect((row.ts as Date).getTime()).toBe(new Date(2024, 1, 29, 13, 14, 15, 123).getTime());
      expect((row.day as Date).getTime()).toBe(new Date(2024, 1, 29).getTime());
      expect(row.json).toEqual({ a: [1, { b: null }], s: "é" });
      expect(row.jsonb).toEqual({ nested: { ok: true } });
      expect(row.json_array).toEqual([1, "two", null]);
      expect([...(row.bytes as Uint8Array)]).toEqual([0, 1, 127, 128, 254, 255]);
      expect([...(row.uint8 as Uint8Array)]).toEqual([9, 8, 7]);
      expect(row.int).toBe(2147483647);
      expect(row.big).toBe("9007199254740993");
      expect(row.num).toBe("12345678901234567890.000000000000000001");
      expect(row.texts).toEqual(["a", "b c", null, 'q"uote', "{braces}"]);
      expect(row.ints).toEqual([1, -2, 3]);
      expect(row.yes).toBe(true);
      expect(row.no).toBe(false);
      expect(row.id).toBe("0b7e6a8c-3f4d-4b4e-9a57-1f2e3d4c5b6a");
      expect(row.nothing).toBeNull();
    } finally {
      restore();
    }
  });

  test("full results carry the command, row count and field descriptions", async () => {
    await sql`create table counters (id int primary key, label text)`;
    const inserted = await sql.query("insert into counters values (1, 'a'), (2, $1)", ["b"], {
      fullResults: true,
    });
    expect(inserted.command).toBe("INSERT");
    expect(inserted.rowCount).toBe(2);
    const selected = await sql.query("select id, label from counters order by id", [], {
      fullResults: true,
      arrayMode: true,
    });
    expect(selected.rows).toEqual([
      [1, "a"],
      [2, "b"],
    ]);
    expect(selected.fields.map((field) => [field.name, field.dataTypeID])).toEqual([
      ["id", 23],
      ["label", 25],
    ]);
    expect(selected.fields[0]?.tableID).toBeGreaterThan(0);
  });

  test("drizzle's neon-http driver inserts and selects with the right JS types", async () => {
    await sql`create table gadgets (
      id uuid primary key default gen_random_uuid(),
      name text not null,
      count integer not null,
      big bigint not null,
      price numeric(10, 2) not null,
      tags text[] not null,
      meta jsonb not null,
      active boolean not null,
      created_at timestamptz not null,
      day date not null
    )`;
    const gadgets = pgTable("gadgets", {
      id: uuid("id").primaryKey().defaultRandom(),
      name: text("name").notNull(),
      count: integer("count").notNull(),
      big: bigint("big", { mode: "bigint" }).notNull(),
      price: numeric("price").notNull(),
      tags: text("tags").array().notNull(),
      meta: jsonb("meta").$type<{ sizes: number[] }>().notNull(),
      active: boolean("active").notNull(),
      createdAt: timestamp("created_at", { withTimezone: true }).notNull(),
      day: date("day").notNull(),
    });
    // drizzle() makes the driver's date parsers global identities, and Bun shares modules across test
    // files: put back what was there so other files see the driver as they left it.
    const restore = useShippedDateParsers();
    try {
      const db = drizzle({ client: sql });
      const createdAt = new Date("2025-06-01T08:00:00.250Z");
      const widget = {
        name: "widget",
        count: 3,
        big: 9007199254740993n,
        price: "19.90",
        tags: ["x", "y z"],
        meta: { sizes: [1, 2] },
        active: true,
        createdAt,
        day: "2025-06-01",
      };
      const [inserted] = await db.insert(gadgets).values(widget).returning();
      expect(inserted?.id).toMatch(/^[0-9a-f-]{36}$/);
      expect(inserted?.big).toBe(9007199254740993n);
      expect(inserted?.createdAt).toEqual(createdAt);

      const rows = await db.select().from(gadgets).orderBy(asc(gadgets.name));
      expect(rows).toEqual([{ id: inserted?.id as string, ...widget }]);
    } finally {
      restore();
    }
  });

  test("a unique violation is a NeonDbError with PostgreSQL's fields", async () => {
    await sql`create table people (id int primary key, email text unique)`;
    await sql`insert into people values (1, 'a@example.com')`;
    const error = await failure(sql`insert into people values (2, ${"a@example.com"})`);
    expect(error.code).toBe("23505");
    expect(error.constraint).toBe("people_email_key");
    expect(error.detail).toBe("Key (email)=(a@example.com) already exists.");
    expect(error.table).toBe("people");
    expect(error.severity).toBe("ERROR");
  });

  test("a syntax error reports its SQLSTATE and position", async () => {
    const error = await failure(sql.query("select 1 from from people"));
    expect(error.code).toBe("42601");
    expect(error.position).toBe("15");
    expect(error.message).toContain('syntax error at or near "from"');
  });

  test("several statements in one request are refused, as with the extended protocol", async () => {
    const error = await failure(sql.query("select 1; select 2"));
    expect(error.code).toBe("42601");
    expect(error.message).toContain("cannot insert multiple commands into a prepared statement");
  });

  test("a database that does not exist is a PostgreSQL error, not an outage", async () => {
    const error = await failure(neon(server.url("no_such_database"))`select 1`);
    expect(error.code).toBe("3D000");
  });

  test("a transaction returns each statement's rows", async () => {
    const [inserted, counted] = await sql.transaction([
      sql`insert into people values (10, 'ten@example.com') returning id`,
      sql`select count(*)::int as n from people`,
    ]);
    expect(inserted).toEqual([{ id: 10 }]);
    expect(counted).toEqual([{ n: 2 }]);
  });

  test("a failing statement rolls back the whole transaction", async () => {
    const error = await failure(
      sql.transaction([
        sql`insert into people values (20, 'twenty@example.com')`,
        sql`insert into people values (1, 'duplicate id')`,
      ]),
    );
    expect(error.code).toBe("23505");
    expect(error.constraint).toBe("people_pkey");
    expect(await sql`select id from people where id = 20`).toEqual([]);
  });

  test("isolation level, read-only and deferrable reach PostgreSQL", async () => {
    const results = await sql.transaction(
      [sql`show transaction_isolation`, sql`show transaction_read_only`, sql`show transaction_deferrable`],
      { isolationLevel: "Serializable", readOnly: true, deferrable: true },
    );
    expect(results).toEqual([
      [{ transaction_isolation: "serializable" }],
      [{ transaction_read_only: "on" }],
      [{ transaction_deferrable: "on" }],
    ]);
    const [defaults] = await sql.transaction([sql`show transaction_isolation`]);
    expect(defaults).toEqual([{ transaction_isolation: "read committed" }]);

    const error = await failure(
      sql.transaction([sql`insert into people values (30, 'thirty@example.com')`], { readOnly: true }),
    );
    expect(error.code).toBe("25006");
  });

  test("requests beyond the pool size queue instead of failing", async () => {
    const burst = await whileSampling(() =>
      Promise.all(Array.from({ length: 20 }, (_, index) => sql`select pg_sleep(0.05), ${index}::int as i`)),
    );
    expect(burst.result.map((rows) => rows[0]?.i)).toEqual(Array.from({ length: 20 }, (_, index) => index));
    expect(burst.mostConnections).toBe(2);
    expect(burst.mostWaiting).toBeGreaterThanOrEqual(10);
    expect(endpoint.stats()).toMatchObject({ peakOpen: 2, busy: 0, waiting: 0 });
    expect(endpoint.stats().open).toBeLessThanOrEqual(2);
  });

  test("databases share the bound: idle connections of one make room for another", async () => {
    const other = neon(server.url(otherDatabase));
    const burst = await whileSampling(() =>
      Promise.all(
        Array.from(
          { length: 16 },
          (_, index) => (index % 2 === 0 ? sql : other)`select pg_sleep(0.02), current_database() as db`,
        ),
      ),
    );
    expect(burst.result.map((rows) => rows[0]?.db)).toEqual(
      Array.from({ length: 16 }, (_, index) => (index % 2 === 0 ? database : otherDatabase)),
    );
    expect(burst.mostConnections).toBeGreaterThanOrEqual(1);
    expect(burst.mostConnections).toBeLessThanOrEqual(2);
    expect(endpoint.stats().peakOpen).toBe(2);
  });
});

describe("SQL over HTTP limits", () => {
  test("a request that waits longer than acquireTimeoutMs gets a 503", async () => {
    const tight = startSqlOverHttp({ port: await freePort(), target, poolSize: 1, acquireTimeoutMs: 100 });
    neonConfig.fetchEndpoint = tight.url;
    try {
      // The driver's queries are lazy: `then` is what sends one.
      const slow = sql`select pg_sleep(0.3) as slept`.then((rows) => rows);
      await Bun.sleep(30);
      const error = await failure(sql`select 1`);
      expect(error.message).toContain("HTTP status 503");
      expect(error.message).toContain("53300");
      expect(await slow).toEqual([{ slept: "" }]);
      expect(tight.stats()).toMatchObject({ peakOpen: 1, busy: 0, waiting: 0 });
    } finally {
      neonConfig.fetchEndpoint = endpoint.url;
      await tight.stop();
    }
  });

  test("an unreachable server is a 503 with Retry-After", async () => {
    const deadPort = await freePort();
    const dead = startSqlOverHttp({
      port: await freePort(),
      target: { host: "127.0.0.1", port: deadPort },
      poolSize: 1,
    });
    try {
      const response = await post(
        dead.url,
        JSON.stringify({ query: "select 1", params: [] }),
        `postgres://postgres:postgres@127.0.0.1:${deadPort}/${database}`,
      );
      expect(response.status).toBe(503);
      expect(response.headers.get("Retry-After")).toBe("1");
      expect(await response.json()).toMatchObject({ code: "08006" });
      expect(dead.stats()).toMatchObject({ open: 0, busy: 0 });
    } finally {
      await dead.stop();
    }
  });

  test("a connection string naming another server is refused, so it is not an open relay", async () => {
    const otherPort = server.port === 5432 ? 5433 : 5432;
    const error =
      await failure(neon(`postgres://postgres:postgres@127.0.0.1:${otherPort}/${database}`)`select 1`);
    expect(error.message).toContain("HTTP status 403");
    expect(error.message).toContain(`127.0.0.1:${otherPort}`);

    const response = await post(
      endpoint.url,
      JSON.stringify({ query: "select 1", params: [] }),
      `postgres://postgres:postgres@10.0.0.1:${server.port}/${database}`,
    );
    expect(response.status).toBe(403);
    expect(await messageOf(response)).toContain(`10.0.0.1:${server.port}`);
  });

  test("an oversized body gets a 413, whether declared or streamed", async () => {
    const declared = await post(endpoint.url, "x".repeat(10 * 1024 * 1024 + 1));
    expect(declared.status).toBe(413);
    // Only the declared length is too large and the body never comes: the answer must not wait for it.
    const { port } = new URL(endpoint.url);
    const head = [
      "POST /sql HTTP/1.1",
      "Host: 127.0.0.1",
      `Neon-Connection-String: ${server.url(database)}`,
      "Neon-Raw-Text-Output: true",
      `Content-Length: ${10 * 1024 * 1024 + 1}`,
    ];
    expect(await firstReply(Number(port), `${head.join("\r\n")}\r\n\r\n{}`)).toStartWith("HTTP/1.1 413");

    const small = startSqlOverHttp({ port: await freePort(), target, poolSize: 1, maxBodyBytes: 1024 });
    try {
      const chunk = new TextEncoder().encode("x".repeat(512));
      let sent = 0;
      const stream = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (sent++ < 8) controller.enqueue(chunk);
          else controller.close();
        },
      });
      const streamed = await post(small.url, stream);
      expect(streamed.status).toBe(413);
      expect(await messageOf(streamed)).toContain("1024 bytes");
    } finally {
      await small.stop();
    }
  });

  test("malformed JSON, other paths and other methods are refused", async () => {
    const malformed = await post(endpoint.url, "{");
    expect(malformed.status).toBe(400);
    expect(await messageOf(malformed)).toContain("not valid JSON");

    const origin = new URL(endpoint.url).origin;
    expect((await fetch(`${origin}/other`, { method: "POST" })).status).toBe(404);
    const get = await fetch(endpoint.url);
    expect(get.status).toBe(405);
    expect(get.headers.get("Allow")).toBe("POST");
  });
});
