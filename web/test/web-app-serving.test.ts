import { beforeAll, describe, expect, test } from "bun:test";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { readError } from "@scripts/testing/responses";
import { useTestWorker } from "@scripts/testing/test-worker";
import { buildWebApp, type WebBuild } from "../build";

/** The budget for the JavaScript of a first load, gzip-compressed. */
const FIRST_LOAD_JS_BUDGET_BYTES = 150 * 1024;

let build: WebBuild;
beforeAll(async () => {
  build = await buildWebApp();
});
const worker = useTestWorker();

describe("web app build", () => {
  test("the first load's JavaScript fits the compressed budget; the film decoders load on demand", async () => {
    const html = await readFile(join(build.outdir, "index.html"), "utf8");
    const scripts = [...html.matchAll(/<script[^>]*src="\/app\/([^"]+)"/g)].map(
      (match) => match[1] as string,
    );
    expect(scripts).toEqual([build.script]);
    // The first load is the entry and whatever it imports statically, transitively; chunks named
    // only by import() load when the viewer opens a film that needs them.
    const source = (name: string) => readFile(join(build.outdir, name), "utf8");
    const firstLoad = new Set<string>();
    const lazy = new Set<string>();
    const visit = async (name: string) => {
      if (firstLoad.has(name)) return;
      firstLoad.add(name);
      const code = await source(name);
      for (const match of code.matchAll(/import\(\s*"\.\/([^"]+\.js)"\s*\)/g)) lazy.add(match[1] as string);
      for (const match of code.matchAll(/(?:from|import)\s*"\.\/([^"]+\.js)"/g))
        await visit(match[1] as string);
    };
    await visit(build.script);
    for (const name of firstLoad) lazy.delete(name);
    const files = (await readdir(build.outdir)).filter((name) => name.endsWith(".js"));
    // Every script the build wrote is either loaded first or reachable on demand.
    expect([...firstLoad, ...lazy].sort()).toEqual(files.sort());
    const gzipped = async (names: Iterable<string>) => {
      let total = 0;
      for (const name of names) total += gzipSync(await readFile(join(build.outdir, name))).length;
      return total;
    };
    const first = await gzipped(firstLoad);
    const onDemand = await gzipped(lazy);
    console.log(
      `web app: first load ${firstLoad.size} script(s), ${(first / 1024).toFixed(1)} KiB gzip; film decoders on demand ${lazy.size} chunk(s), ${(onDemand / 1024).toFixed(1)} KiB gzip`,
    );
    expect(first).toBeGreaterThan(1024);
    expect(first).toBeLessThanOrEqual(FIRST_LOAD_JS_BUDGET_BYTES);
    // The decoders (fast-png, UTIF, dicom-parser) are in the on-demand chunk, not the first load.
    expect(lazy.size).toBeGreaterThanOrEqual(1);
    for (const name of firstLoad) expect(await source(name)).not.toMatch(/dicomParser|UTIF|fdAT/);
    let decoders = "";
    for (const name of lazy) decoders += await source(name);
    expect(decoders).toMatch(/dicomParser/);
    expect(decoders).toMatch(/fdAT/);
  });

  test("the page loads nothing from another origin and carries its own content security policy", async () => {
    const html = await readFile(join(build.outdir, "index.html"), "utf8");
    const references = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((match) => match[1] as string);
    expect(references.length).toBeGreaterThanOrEqual(2);
    for (const reference of references) expect(reference).toStartWith("/app/");
    expect(html).toContain(`http-equiv="Content-Security-Policy"`);
    expect(html).toContain("script-src 'self'");
    expect(html).toContain("connect-src 'self'");
    const bundle = await readFile(join(build.outdir, build.script), "utf8");
    expect(bundle).not.toMatch(/https?:\/\/(?!www\.w3\.org)[a-z0-9.-]+\.[a-z]{2,}\//i);
  });
});

describe("web app serving", () => {
  test("the bare origin leads to the app", async () => {
    const response = await worker.current.fetch("/", { redirect: "manual" });
    expect(response.status).toBe(302);
    expect(new URL(response.headers.get("location") ?? "", worker.current.origin).pathname).toBe("/app/");
  });

  test("the app's entry and its hashed files are served from the static assets", async () => {
    const entry = await worker.current.fetch("/app/");
    expect(entry.status).toBe(200);
    expect(entry.headers.get("content-type")).toContain("text/html");
    expect(await entry.text()).toContain(build.script);
    const script = await worker.current.fetch(`/app/${build.script}`);
    expect(script.status).toBe(200);
    expect(script.headers.get("content-type")).toContain("javascript");
    await script.body?.cancel();
  });

  test("the tab has an icon: the page names it, and /favicon.ico leads to it (no 404 per load)", async () => {
    const entry = await worker.current.fetch("/app/");
    expect(await entry.text()).toContain('<link rel="icon" href="/app/favicon.svg" type="image/svg+xml">');
    const icon = await worker.current.fetch("/app/favicon.svg");
    expect(icon.status).toBe(200);
    expect(icon.headers.get("content-type")).toContain("image/svg+xml");
    expect(await icon.text()).toStartWith("<svg");
    const legacy = await worker.current.fetch("/favicon.ico", { redirect: "manual" });
    expect(legacy.status).toBe(301);
    expect(legacy.headers.get("location")).toBe("/app/favicon.svg");
  });

  test("a deep link loads the app, so a bookmarked viewer opens", async () => {
    const response = await worker.current.fetch(`/app/jobs/${crypto.randomUUID()}`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("text/html");
    expect(response.headers.get("cache-control")).toBe("no-cache");
    const html = await response.text();
    expect(html).toContain('<div id="root">');
    expect(html).toContain(build.script);
  });

  /**
   * The headers every app response carries, whether a static asset or the Worker's answer to a
   * deep link: no framing, no content sniffing.
   */
  const expectAppHeaders = (response: Response) => {
    expect(response.headers.get("x-content-type-options")).toBe("nosniff");
    expect(response.headers.get("x-frame-options")).toBe("DENY");
  };

  test("the entry page, whether a static asset or a deep link, carries its policy as headers", async () => {
    for (const path of ["/app/", `/app/jobs/${crypto.randomUUID()}`]) {
      const response = await worker.current.fetch(path);
      expect(response.status).toBe(200);
      expectAppHeaders(response);
      // A <meta> policy cannot say frame-ancestors: only the header keeps the page out of frames.
      const policy = response.headers.get("content-security-policy") ?? "";
      expect(policy).toContain("frame-ancestors 'none'");
      expect(policy).toContain("script-src 'self'");
      const html = await response.text();
      const meta = /http-equiv="Content-Security-Policy" content="([^"]+)"/.exec(html)?.[1];
      expect(policy).toBe(`${meta}; frame-ancestors 'none'`);
    }
  });

  test("the app's scripts and stylesheet are served with nosniff and no framing", async () => {
    for (const name of [build.script, build.stylesheet]) {
      const response = await worker.current.fetch(`/app/${name}`);
      expect(response.status).toBe(200);
      expectAppHeaders(response);
      await response.body?.cancel();
    }
  });

  test("a method the app does not answer is 405 with Allow", async () => {
    for (const path of ["/app/", "/app/index.html", `/app/jobs/${crypto.randomUUID()}`, "/app", "/"]) {
      for (const method of ["POST", "PUT", "DELETE"]) {
        const response = await worker.current.fetch(path, { method, redirect: "manual" });
        expect(response.status).toBe(405);
        // The asset server answers GET and HEAD only; the Worker's routes OPTIONS too (CORS).
        const allow = response.headers.get("allow")?.split(/,\s*/) ?? [];
        expect(allow).toContain("GET");
        expect(allow).toContain("HEAD");
        expect(allow).not.toContain(method);
        await response.body?.cancel();
      }
    }
  });

  test("a missing file under /app is a 404, not the page", async () => {
    const response = await worker.current.fetch("/app/main-stale1234.js");
    expect(response.status).toBe(404);
    await response.body?.cancel();
  });

  test("API paths that match nothing keep their JSON 404", async () => {
    for (const path of [
      "/v1/no-such-thing",
      "/internal/v1/nothing",
      "/health/nothing",
      "/.well-known/nothing",
      "/docs/x",
    ]) {
      const response = await worker.current.fetch(path, { headers: { accept: "text/html" } });
      expect(response.status).toBe(404);
      expect(response.headers.get("content-type")).toContain("application/json");
      expect((await readError(response)).code).toBe("not_found");
    }
  });
});
