import { datasets } from "@db/schema";
import { DatasetSchema } from "@edge/routes/datasets/schema";
import { writeDiconde } from "@generator/diconde";
import { encodePng } from "@generator/png";
import { renderSample } from "@generator/sample";
import { readBody } from "@scripts/testing/responses";
import type { TestWorker } from "@scripts/testing/test-worker";
import { eq } from "drizzle-orm";
import { type Zippable, zipSync } from "fflate";

/** A synthetic radiograph, as a plain Uint8Array (Miniflare refuses Node's pooled Buffers). */
export async function film(seed: number, bitDepth: 8 | 16 = 8) {
  const sample = renderSample(seed, { imgsz: 96 });
  const png = new Uint8Array(await encodePng(sample.image, bitDepth));
  return { png, width: sample.image.width, height: sample.image.height, plane: sample.image };
}

/** A small 16-bit DICONDE film. */
export function diconde(width: number, height: number, fill: number): Uint8Array {
  const values = new Uint16Array(width * height).map((_, i) => (fill + i * 7) % 65_536);
  return writeDiconde({ width, height, values, bitsAllocated: 16, pixelSpacing: [0.1, 0.1] });
}

const text = (value: string) => new TextEncoder().encode(value);

/** A zip of `files` (text or bytes, by path); `level` 0 stores them. */
export function zip(files: Record<string, Uint8Array | string>, level: 0 | 6 = 6): Uint8Array {
  const zippable: Zippable = {};
  for (const [path, content] of Object.entries(files)) {
    zippable[path] = [typeof content === "string" ? text(content) : content, { level }];
  }
  return zipSync(zippable);
}

export function postArchive(worker: TestWorker, auth: string, archive: Uint8Array, query = "name=imported") {
  return worker.fetch(`/v1/datasets?${query}`, {
    method: "POST",
    headers: {
      Authorization: auth,
      "Content-Type": "application/zip",
      "Content-Length": String(archive.length),
    },
    body: archive,
  });
}

export function postDataset(worker: TestWorker, auth: string, body: unknown) {
  return worker.fetch("/v1/datasets", {
    method: "POST",
    headers: { Authorization: auth, "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
}

/** Creates a dataset; fails unless it was created. */
export async function createDataset(worker: TestWorker, auth: string, body: unknown) {
  const response = await postDataset(worker, auth, body);
  if (response.status !== 201)
    throw new Error(`dataset answered ${response.status}: ${await response.text()}`);
  return readBody(response, DatasetSchema);
}

export async function importDataset(worker: TestWorker, auth: string, archive: Uint8Array, query?: string) {
  const response = await postArchive(worker, auth, archive, query);
  if (response.status !== 201)
    throw new Error(`import answered ${response.status}: ${await response.text()}`);
  return readBody(response, DatasetSchema);
}

/** Keys of the owner's dataset objects in R2 (archives being read included). */
export async function datasetObjects(worker: TestWorker, ownerId: string): Promise<string[]> {
  const bucket = await worker.mf.getR2Bucket("IMAGES");
  const listed = await bucket.list({ prefix: `datasets/${ownerId}/` });
  return listed.objects.map((object) => object.key);
}

export async function datasetRows(worker: TestWorker, ownerId: string) {
  return worker.db.select().from(datasets).where(eq(datasets.ownerId, ownerId));
}
