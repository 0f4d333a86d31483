/**
 * What reading an image by its signed URL costs, through the Worker's route and by a presigned R2
 * URL (here the local stand-in of R2's S3 API, serving the same bucket outside workerd), in the
 * same run on the same objects. `--films` generated films (ordinary 8-bit PNGs, up to about
 * 1250 px a side, plus one 16-bit 3000 × 500 strip) are written to the test Worker's bucket;
 * `--clients` concurrent clients then download them all `--rounds` times by signed URL, full
 * body read, each path in turn. `--stress` runs a CPU-bound child process for the whole run (a
 * busy neighbour taking one core).
 *
 *   npm run bench:images [-- --films 20 --clients 8 --rounds 5 --stress]
 */
import { spawn } from "node:child_process";
import { parseArgs } from "node:util";
import { type Config, configSchema } from "@edge/config";
import { signObjectUrl } from "@edge/images/signed-url";
import { encodePng } from "@generator/png";
import { deriveSeed } from "@generator/prng";
import type { Plane } from "@generator/raster";
import { renderSample } from "@generator/sample";
import { sharedServices, stopSharedServices } from "@scripts/testing/shared-services";
import { startTestWorker, type TestWorker } from "@scripts/testing/test-worker";
import { median, percentile, printTable } from "../stats";

const { values } = parseArgs({
  options: {
    films: { type: "string", default: "20" },
    clients: { type: "string", default: "8" },
    rounds: { type: "string", default: "5" },
    stress: { type: "boolean", default: false },
  },
});
const FILMS = Number(values.films);
const CLIENTS = Number(values.clients);
const ROUNDS = Number(values.rounds);
const STRIP = { width: 3000, height: 500 };

type Film = { key: string; bytes: number; width: number; height: number; bitDepth: 8 | 16 };
type Download = { ms: number; bytes: number };

/** The top-left 3000 × 500 of a long generated strip. */
function crop(plane: Plane, width: number, height: number): Plane {
  const data = new Float32Array(width * height);
  for (let y = 0; y < height; y++)
    data.set(plane.data.subarray(y * plane.width, y * plane.width + width), y * width);
  return { width, height, data };
}

/** Writes the films to the Worker's bucket, as an upload does (one `put` with its type). */
async function storeFilms(worker: TestWorker): Promise<Film[]> {
  const bucket = await worker.mf.getR2Bucket("IMAGES");
  const films: Film[] = [];
  for (let i = 0; i < FILMS; i++) {
    const strip = i === FILMS - 1;
    const sample = renderSample(
      deriveSeed(7, "bench-images", i),
      strip ? { imgsz: 640, large: true } : { imgsz: 640 },
    );
    const plane = strip ? crop(sample.image, STRIP.width, STRIP.height) : sample.image;
    const bitDepth = strip ? 16 : 8;
    // A copy: the encoder's output is a view into a larger buffer, which Miniflare's proxy refuses.
    const png = new Uint8Array(await encodePng(plane, bitDepth));
    const key = `images/bench/${crypto.randomUUID()}.png`;
    await bucket.put(key, png, { httpMetadata: { contentType: "image/png" } });
    films.push({ key, bytes: png.length, width: plane.width, height: plane.height, bitDepth });
  }
  return films;
}

/** `clients` loops downloading the URLs in turn until all are read; one duration per download. */
async function downloadAll(urls: string[]): Promise<{ downloads: Download[]; wallMs: number }> {
  const downloads: Download[] = [];
  let next = 0;
  const started = performance.now();
  async function client() {
    for (let i = next++; i < urls.length; i = next++) {
      const t0 = performance.now();
      const response = await fetch(urls[i] as string);
      const body = await response.arrayBuffer();
      if (response.status !== 200) throw new Error(`download answered ${response.status}`);
      downloads.push({ ms: performance.now() - t0, bytes: body.byteLength });
    }
  }
  await Promise.all(Array.from({ length: CLIENTS }, client));
  return { downloads, wallMs: performance.now() - started };
}

async function benchConfig(worker: TestWorker): Promise<{ presigned: Config; workerRoute: Config }> {
  const { jwtKeys, secrets } = await sharedServices();
  const base = {
    DATABASE_URL: worker.databaseUrl,
    JWT_KEYS: jwtKeys,
    INFERENCE_EDGE_URL: worker.origin,
    INFERENCE_CALLBACK_TOKEN: secrets.callbackToken,
    OPERATIONS_TOKEN: secrets.operationsToken,
    IMAGE_URL_SIGNING_KEY: secrets.imageUrlSigningKey,
  };
  return {
    presigned: configSchema.parse({ ...base, ...worker.r2S3?.vars }),
    workerRoute: configSchema.parse(base),
  };
}

const PATHS = [
  { name: "Worker route (/internal/v1/objects)", config: "workerRoute" },
  { name: "presigned R2 URL (local S3 stand-in)", config: "presigned" },
] as const;

async function measure(worker: TestWorker, films: Film[]) {
  const configs = await benchConfig(worker);
  const results = new Map<string, { ms: number[]; bytes: number; wallMs: number }>(
    PATHS.map((path) => [path.name, { ms: [], bytes: 0, wallMs: 0 }]),
  );
  // A warm-up round each, then the paths take turns, so drift on a shared machine hits both.
  for (let round = -1; round < ROUNDS; round++) {
    for (const path of PATHS) {
      const urls = await Promise.all(
        films.map(async (film) => (await signObjectUrl(configs[path.config], film.key)).url),
      );
      const { downloads, wallMs } = await downloadAll(urls);
      if (round < 0) continue;
      const result = results.get(path.name);
      if (!result) continue;
      result.ms.push(...downloads.map((d) => d.ms));
      result.bytes += downloads.reduce((sum, d) => sum + d.bytes, 0);
      result.wallMs += wallMs;
    }
  }
  return results;
}

function report(films: Film[], results: Awaited<ReturnType<typeof measure>>): void {
  const ordinary = films.filter((film) => film.bitDepth === 8);
  const largest = Math.max(...ordinary.map((f) => f.width * f.height));
  const big = ordinary.find((f) => f.width * f.height === largest);
  const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(2);
  console.log(
    `films: ${ordinary.length} ordinary 8-bit PNGs (largest ${big?.width} × ${big?.height}), ` +
      `one 16-bit ${STRIP.width} × ${STRIP.height} strip; ${mib(films.reduce((s, f) => s + f.bytes, 0))} MiB in all; ` +
      `${CLIENTS} clients, ${ROUNDS} rounds${values.stress ? ", a CPU-bound neighbour process" : ""}\n`,
  );
  const rows = [...results].map(([name, r]) => [
    name,
    r.ms.length,
    median(r.ms).toFixed(1),
    percentile(r.ms, 90).toFixed(1),
    percentile(r.ms, 99).toFixed(1),
    (r.bytes / 2 ** 20 / (r.wallMs / 1000)).toFixed(0),
  ]);
  printTable(["path", "downloads", "p50 ms", "p90 ms", "p99 ms", "MiB/s (all clients)"], rows);
  const [route, presigned] = [...results.values()];
  if (route && presigned) {
    const ratio = (p: number) => (percentile(route.ms, p) / percentile(presigned.ms, p)).toFixed(1);
    console.log(`\nWorker route ÷ presigned: p50 ×${ratio(50)}, p90 ×${ratio(90)}, p99 ×${ratio(99)}`);
  }
}

const neighbour = values.stress
  ? spawn(process.execPath, ["-e", "for (;;) Math.sqrt(Math.random());"], { stdio: "ignore" })
  : undefined;
const worker = await startTestWorker({ r2S3: true });
try {
  const films = await storeFilms(worker);
  report(films, await measure(worker, films));
} finally {
  neighbour?.kill();
  await worker.dispose();
  await stopSharedServices();
}
