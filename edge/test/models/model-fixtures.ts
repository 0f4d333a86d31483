import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { modelUploads, modelVersions } from "@db/schema";
import { ModelUploadSchema, ModelVersionSchema, ReceivedUploadSchema } from "@edge/routes/models/schema";
import { readBody } from "@scripts/testing/responses";
import type { TestWorker } from "@scripts/testing/test-worker";
import { eq } from "drizzle-orm";

/** A small detection model with full Ultralytics metadata (2 classes, 64×64, dynamic batch). */
export const modelFile = async (name = "v8-dynamic") =>
  new Uint8Array(await readFile(`inference/test/fixtures/models/${name}.onnx`));

export const sha256Hex = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

const json = (auth: string) => ({ Authorization: auth, "Content-Type": "application/json" });

export function post(worker: TestWorker, auth: string, path: string, body?: unknown) {
  return worker.fetch(path, {
    method: "POST",
    headers: json(auth),
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

export async function startUpload(worker: TestWorker, auth: string, name: string) {
  const response = await post(worker, auth, `/v1/models/${name}/versions`);
  return readBody(response, ModelUploadSchema);
}

export function putFile(worker: TestWorker, uploadUrl: string, bytes: Uint8Array) {
  return worker.fetch(uploadUrl, {
    method: "PUT",
    headers: { "Content-Type": "application/octet-stream", "Content-Length": String(bytes.length) },
    body: bytes,
  });
}

export function complete(worker: TestWorker, auth: string, name: string, uploadId: string, body: unknown) {
  return post(worker, auth, `/v1/models/${name}/versions/${uploadId}/complete`, body);
}

/** Upload → complete: a new version of `name`, with these metrics. */
export async function uploadVersion(
  worker: TestWorker,
  auth: string,
  name: string,
  options: { bytes?: Uint8Array; metrics?: unknown } = {},
) {
  const bytes = options.bytes ?? (await modelFile());
  const upload = await startUpload(worker, auth, name);
  await readBody(await putFile(worker, upload.uploadUrl, bytes), ReceivedUploadSchema);
  const response = await complete(worker, auth, name, upload.uploadId, {
    sha256: await sha256Hex(bytes),
    bytes: bytes.length,
    ...(options.metrics === undefined ? {} : { metrics: options.metrics }),
  });
  return readBody(response, ModelVersionSchema);
}

/** Keys under the owner's model prefix in R2. */
export async function modelObjects(worker: TestWorker, ownerId: string) {
  const bucket = await worker.mf.getR2Bucket("IMAGES");
  const listed = await bucket.list({ prefix: `models/${ownerId}/` });
  return listed.objects.map((object) => object.key);
}

export const versionRows = (worker: TestWorker, ownerId: string) =>
  worker.db.select().from(modelVersions).where(eq(modelVersions.ownerId, ownerId));

export const uploadRow = async (worker: TestWorker, uploadId: string) =>
  (await worker.db.select().from(modelUploads).where(eq(modelUploads.id, uploadId)))[0];
