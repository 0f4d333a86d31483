import { afterAll, afterEach, describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ClaimedModel } from "@common/contracts/job-claim";
import { InferenceError } from "../src/errors";
import { loadDetector } from "../src/model/detector";
import { ModelVersionCache, type VersionCacheOptions } from "../src/model/version-cache";
import { fixtureModel } from "./fixtures";

/** A tiny file server standing in for a presigned R2 URL: `/<name>` serves that fixture, counting reads. */
const reads = new Map<string, number>();
const server = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  fetch: async (request) => {
    const name = new URL(request.url).pathname.slice(1);
    reads.set(name, (reads.get(name) ?? 0) + 1);
    // Slow enough that concurrent jobs overlap on one download.
    await Bun.sleep(50);
    return new Response(Bun.file(fixtureModel(name as "v8")));
  },
});

const scratch = await mkdtemp(join(tmpdir(), "version-cache-test-"));
const caches: ModelVersionCache[] = [];
afterEach(async () => {
  await Promise.all(caches.splice(0).map((cache) => cache.dispose()));
  reads.clear();
});
afterAll(async () => {
  server.stop(true);
  await rm(scratch, { recursive: true, force: true });
});

async function claimed(name: "v8" | "v8-dynamic" | "end2end" | "yolov5", version = 1): Promise<ClaimedModel> {
  const bytes = await readFile(fixtureModel(name));
  return {
    name: `custom-${name}`,
    version,
    sha256: createHash("sha256").update(bytes).digest("hex"),
    bytes: bytes.length,
    url: `http://127.0.0.1:${server.port}/${name}`,
    urlExpiresAt: new Date(Date.now() + 60_000).toISOString(),
  };
}

function cache(options: Partial<VersionCacheOptions> = {}) {
  const created = new ModelVersionCache(
    {
      cacheDir: join(scratch, crypto.randomUUID()),
      memoryBudgetBytes: 1 << 30,
      maxBytes: 1 << 20,
      fetchTimeoutMs: 5000,
      ...options,
    },
    { intraOpThreads: 1 },
    loadDetector,
  );
  caches.push(created);
  return created;
}

describe("registry versions on demand", () => {
  test("downloads, verifies, caches on disk under its sha256 and loads; a restart reads the disk", async () => {
    const model = await claimed("v8-dynamic");
    const cacheDir = join(scratch, crypto.randomUUID());
    const first = cache({ cacheDir });
    const lease = await first.acquire(model);
    expect(lease.detector.info.sha256).toBe(model.sha256);
    expect(lease.detector.info.layout).toBe("ultralytics");
    lease.release();
    expect(await readdir(cacheDir)).toEqual([`${model.sha256}.onnx`]);
    expect(reads.get("v8-dynamic")).toBe(1);

    const restarted = cache({ cacheDir });
    (await restarted.acquire(model)).release();
    expect(reads.get("v8-dynamic")).toBe(1);
  });

  test("bytes that do not hash to the claimed sha256 are refused, retryably, and never cached", async () => {
    const model = { ...(await claimed("v8")), sha256: "0".repeat(64) };
    const versions = cache();
    const error = await versions.acquire(model).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(InferenceError);
    expect((error as InferenceError).code).toBe("model_fetch_failed");
    expect((error as InferenceError).permanent).toBe(false);
    expect(versions.loadedVersions).toEqual([]);
  });

  test("a file larger than claimed, or than the limit, is refused", async () => {
    const model = await claimed("v8");
    const short = await cache()
      .acquire({ ...model, bytes: model.bytes - 10 })
      .catch((e: unknown) => e);
    expect((short as InferenceError).code).toBe("model_fetch_failed");
    const huge = await cache({ maxBytes: 100 })
      .acquire(model)
      .catch((e: unknown) => e);
    expect((huge as InferenceError).code).toBe("model_load_failed");
  });

  test("two jobs needing the same new version download it once and share one session", async () => {
    const model = await claimed("end2end");
    const versions = cache();
    const leases = await Promise.all([1, 2, 3, 4].map(() => versions.acquire(model)));
    expect(reads.get("end2end")).toBe(1);
    expect(new Set(leases.map((lease) => lease.detector)).size).toBe(1);
    for (const lease of leases) lease.release();
  });

  test("past the memory budget the least recently used idle session is unloaded, never one in use", async () => {
    const [a, b, c] = await Promise.all([claimed("v8"), claimed("v8-dynamic"), claimed("end2end")]);
    // Room for a and b, or a and c, never all three.
    const versions = cache({ memoryBudgetBytes: b.bytes + c.bytes });
    (await versions.acquire(a)).release();
    (await versions.acquire(b)).release();
    expect(versions.loadedVersions).toEqual([a.sha256, b.sha256]);
    const held = await versions.acquire(a);
    const third = await versions.acquire(c);
    // b was the least recently used idle session; a is held.
    expect(versions.loadedVersions).toEqual([a.sha256, c.sha256]);
    held.release();
    third.release();
    (await versions.acquire(b)).release();
    // Now a is the least recently used, and idle: it goes.
    expect(versions.loadedVersions).toEqual([c.sha256, b.sha256]);
    expect(reads.get("v8-dynamic")).toBe(1);
  });
});
