import { createHash } from "node:crypto";
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { ClaimedModel } from "@common/contracts/job-claim";
import { errorMessage } from "@common/logger";
import { InferenceError } from "../errors";
import type { Detector, DetectorOptions } from "./detector";

export interface VersionCacheOptions {
  /** Folder of downloaded versions, one file per sha256 (`<sha256>.onnx`). */
  cacheDir: string;
  /** Bytes of registry model files whose sessions stay loaded; idle ones beyond it are unloaded, LRU first. */
  memoryBudgetBytes: number;
  /** Largest model file downloaded (the edge's MAX_MODEL_BYTES). */
  maxBytes: number;
  fetchTimeoutMs: number;
  fetch?: typeof fetch;
}

/** A loaded version in use by one job; `release` once the job is done with it. */
export interface VersionLease {
  detector: Detector;
  release(): void;
}

type Entry = { detector: Detector; bytes: number; inUse: number; lastUsed: number };

type Loader = (path: string, options: DetectorOptions) => Promise<Detector>;

/** A download that failed or brought other bytes than claimed: the edge's or storage's problem, so retryable. */
const fetchFailed = (message: string, cause?: unknown) =>
  new InferenceError("model_fetch_failed", message, cause === undefined ? {} : { cause });

/**
 * Owners' registry model versions, loaded on demand. A claim names a version by sha256 and a
 * signed URL: the file is downloaded once (concurrent jobs wait for the same download), bounded
 * by its claimed size, checked against its sha256, written atomically to the cache folder under
 * that hash, and loaded into its own session. Sessions are keyed by sha256 and handed only to the
 * job whose claim named it. Loaded files beyond the memory budget are unloaded least recently
 * used first, never while a job holds them; the shipped models are not here and never unloaded.
 */
export class ModelVersionCache {
  private readonly loaded = new Map<string, Entry>();
  private readonly loading = new Map<string, Promise<Entry>>();

  constructor(
    private readonly options: VersionCacheOptions,
    private readonly detectorOptions: DetectorOptions,
    private readonly load: Loader,
  ) {}

  /** sha256s of the sessions loaded now, least recently used first. */
  get loadedVersions(): string[] {
    return [...this.loaded.entries()].sort(([, a], [, b]) => a.lastUsed - b.lastUsed).map(([sha]) => sha);
  }

  async acquire(model: ClaimedModel): Promise<VersionLease> {
    let entry = this.loaded.get(model.sha256);
    // A session unloaded between its load and this job's turn is loaded again.
    while (entry === undefined) {
      let pending = this.loading.get(model.sha256);
      if (pending === undefined) {
        pending = this.open(model).finally(() => this.loading.delete(model.sha256));
        this.loading.set(model.sha256, pending);
      }
      const opened = await pending;
      entry = this.loaded.get(model.sha256) === opened ? opened : undefined;
    }
    entry.inUse++;
    entry.lastUsed = performance.now();
    await this.evict();
    let released = false;
    const held = entry;
    return {
      detector: held.detector,
      release: () => {
        if (released) return;
        released = true;
        held.inUse--;
        held.lastUsed = performance.now();
        void this.evict();
      },
    };
  }

  private async open(model: ClaimedModel): Promise<Entry> {
    const path = await this.file(model);
    const detector = await this.load(path, this.detectorOptions);
    if (detector.info.sha256 !== model.sha256) {
      await detector.dispose();
      await rm(path, { force: true });
      throw fetchFailed(`cached model ${path} does not hash to ${model.sha256}; removed`);
    }
    const entry: Entry = { detector, bytes: model.bytes, inUse: 0, lastUsed: performance.now() };
    this.loaded.set(model.sha256, entry);
    return entry;
  }

  /** The version's file in the cache folder, downloaded and verified first when absent. */
  private async file(model: ClaimedModel): Promise<string> {
    const path = join(this.options.cacheDir, `${model.sha256}.onnx`);
    const cached = await readFile(path).catch(() => null);
    if (cached !== null && sha256Hex(cached) === model.sha256) return path;
    const bytes = await this.download(model);
    await mkdir(this.options.cacheDir, { recursive: true });
    // Written beside its final name and renamed: a reader never sees half a file.
    const partial = `${path}.${process.pid}.${crypto.randomUUID()}.partial`;
    try {
      await writeFile(partial, bytes);
      await rename(partial, path);
    } catch (error) {
      await rm(partial, { force: true });
      throw new InferenceError("model_load_failed", `cannot write ${path}`, { cause: error });
    }
    return path;
  }

  private async download(model: ClaimedModel): Promise<Uint8Array> {
    if (model.bytes > this.options.maxBytes) {
      throw new InferenceError(
        "model_load_failed",
        `model ${model.name}@${model.version} has ${model.bytes} bytes; at most ${this.options.maxBytes} are loaded`,
      );
    }
    const fetcher = this.options.fetch ?? fetch;
    let response: Response;
    try {
      response = await fetcher(model.url, { signal: AbortSignal.timeout(this.options.fetchTimeoutMs) });
    } catch (error) {
      throw fetchFailed(`model download failed: ${errorMessage(error)}`, error);
    }
    if (!response.ok || response.body === null) {
      await response.body?.cancel();
      throw fetchFailed(`model download answered ${response.status}`);
    }
    const bytes = await readBounded(response.body, model.bytes);
    if (bytes.length !== model.bytes) {
      throw fetchFailed(`model download has ${bytes.length} bytes, the claim says ${model.bytes}`);
    }
    const sha256 = sha256Hex(bytes);
    if (sha256 !== model.sha256) {
      throw fetchFailed(`model download hashes to ${sha256}, the claim says ${model.sha256}`);
    }
    return bytes;
  }

  /** Unloads idle sessions, least recently used first, while the loaded files exceed the budget. */
  private async evict(): Promise<void> {
    let total = [...this.loaded.values()].reduce((sum, entry) => sum + entry.bytes, 0);
    for (const sha of this.loadedVersions) {
      if (total <= this.options.memoryBudgetBytes) return;
      const entry = this.loaded.get(sha);
      if (entry === undefined || entry.inUse > 0) continue;
      this.loaded.delete(sha);
      total -= entry.bytes;
      await entry.detector.dispose();
    }
  }

  async dispose(): Promise<void> {
    await Promise.allSettled([...this.loading.values()]);
    const entries = [...this.loaded.values()];
    this.loaded.clear();
    await Promise.all(entries.map((entry) => entry.detector.dispose()));
  }
}

const sha256Hex = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

/** The body, read up to one byte past `limit` (so a longer body is seen as such, never held whole). */
async function readBounded(body: ReadableStream<Uint8Array>, limit: number): Promise<Uint8Array> {
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.length;
      if (size > limit) break;
    }
  } catch (error) {
    throw fetchFailed(`model download broke off: ${errorMessage(error)}`, error);
  } finally {
    await reader.cancel().catch(() => {});
  }
  const out = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}
