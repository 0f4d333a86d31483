import { beforeAll, describe, expect, test } from "bun:test";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
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
  test("the first load's JavaScript fits the compressed budget", async () => {
    const html = await readFile(join(build.outdir, "index.html"), "utf8");
    const scripts = [...html.matchAll(/<script[^>]*src="\/app\/([^"]+)"/g)].map(
      (match) => match[1] as string,
    );
    expect(scripts).toEqual([build.script]);
    // Every .js the build wrote counts, in case a chunk is ever split off and preloaded.
    const files = (await readdir(build.outdir)).filter((name) => name.endsWith(".js"));
    let compressed = 0;
    for (const name of files) compressed += gzipSync(await readFile(join(build.outdir, name))).length;
    console.log(`web app: ${files.length} script(s), ${(compressed / 1024).toFixed(1)} KiB gzip`);
    expect(compressed).toBeGreaterThan(1024);
    expect(compressed).toBeLessThanOrEqual(FIRST_LOAD_JS_BUDGET_BYTES);
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

  test("a deep link loads the app, so a bookmarked viewer opens", async () => {
    const response = await worker.current.fetch(`/app/jobs/${crypto.randomUUID()}`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("text/html");
    expect(response.headers.get("cache-control")).toBe("no-cache");
    const html = await response.text();
    expect(html).toContain('<div id="root">');
    expect(html).toContain(build.script);
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
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe("not_found");
    }
  });
});
