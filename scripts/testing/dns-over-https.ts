import { afterAll } from "bun:test";

/**
 * A DNS-over-HTTPS resolver speaking the JSON API (`GET ?name=&type=`, `application/dns-json`)
 * as public resolvers do, answering from a table the test controls. Names not in the table are
 * NXDOMAIN (Status 3); a name mapped to "servfail" answers Status 2, as a resolver does when the
 * authoritative servers fail.
 */

type Records = { A?: string[]; AAAA?: string[] } | "servfail";

const TYPE_CODES = { A: 1, AAAA: 28 } as const;

export function useDnsOverHttps(initial: Record<string, Records> = {}) {
  const table = new Map(Object.entries(initial));
  const queries: Array<{ name: string; type: string }> = [];
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch(request) {
      const url = new URL(request.url);
      const name = (url.searchParams.get("name") ?? "").replace(/\.$/, "").toLowerCase();
      const type = url.searchParams.get("type") ?? "A";
      queries.push({ name, type });
      if (type !== "A" && type !== "AAAA") return Response.json({ Status: 4 }, { status: 400 });
      const records = table.get(name);
      const headers = { "Content-Type": "application/dns-json" };
      if (records === "servfail")
        return Response.json({ Status: 2, Question: [{ name, type }] }, { headers });
      if (!records) return Response.json({ Status: 3, Question: [{ name, type }] }, { headers });
      const Answer = (records[type] ?? []).map((data) => ({ name, type: TYPE_CODES[type], TTL: 60, data }));
      return Response.json({ Status: 0, Question: [{ name, type: TYPE_CODES[type] }], Answer }, { headers });
    },
  });
  afterAll(() => server.stop(true));
  return {
    url: `http://127.0.0.1:${server.port}/dns-query`,
    /** Points `name` at other records (or removes it with undefined). */
    set(name: string, records: Records | undefined) {
      if (records === undefined) table.delete(name);
      else table.set(name, records);
    },
    queries,
  };
}
