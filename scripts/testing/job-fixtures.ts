import { createHash } from "node:crypto";
import type { DetectResult } from "@common/contracts/detect-result";
import { detections, images, jobs, users } from "@db/schema";
import { configSchema } from "@edge/config";
import { ImageSchema } from "@edge/routes/images/schema";
import { QueuedJobsSchema } from "@edge/routes/jobs/schema";
import { eq } from "drizzle-orm";
import { localQueueProducer } from "../local-stack/queue-consumers";
import { readBody } from "./responses";
import { sharedServices } from "./shared-services";
import type { TestWorker } from "./test-worker";

/** Arranges jobs straight in the database and R2, as the (separately tested) upload and job APIs would. */

export async function insertUser(worker: TestWorker): Promise<string> {
  const [row] = await worker.db
    .insert(users)
    .values({ email: `fixture-${crypto.randomUUID()}@example.com`, passwordHash: "$argon2id$fixture" })
    .returning({ id: users.id });
  if (!row) throw new Error("user insert returned no row");
  return row.id;
}

/** A tiny PNG header is enough: the edge never decodes stored images. */
export const FIXTURE_IMAGE = new Uint8Array([
  0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3, 4, 5, 6, 7, 8,
]);

export type FixtureImage = { id: string; objectKey: string; sha256: string };

export async function insertImage(
  worker: TestWorker,
  ownerId: string,
  options: { bytes?: Uint8Array; storeObject?: boolean } = {},
): Promise<FixtureImage> {
  const bytes = options.bytes ?? FIXTURE_IMAGE;
  const objectKey = `images/${ownerId}/${crypto.randomUUID()}`;
  const sha256 = createHash("sha256").update(bytes).digest("hex");
  if (options.storeObject !== false) {
    const bucket = await worker.mf.getR2Bucket("IMAGES");
    await bucket.put(objectKey, bytes, { httpMetadata: { contentType: "image/png" } });
  }
  const [row] = await worker.db
    .insert(images)
    .values({
      ownerId,
      objectKey,
      format: "png",
      width: 640,
      height: 480,
      bitDepth: 8,
      bytes: bytes.length,
      sha256,
    })
    .returning({ id: images.id });
  if (!row) throw new Error("image insert returned no row");
  return { id: row.id, objectKey, sha256 };
}

export const DEFAULT_PARAMS = { conf: 0.25, iou: 0.45, maxDet: 300, classes: null };

export async function insertJob(
  worker: TestWorker,
  ownerId: string,
  imageId: string,
  values: Partial<typeof jobs.$inferInsert> = {},
): Promise<string> {
  const [row] = await worker.db
    .insert(jobs)
    .values({
      ownerId,
      imageId,
      model: "weld-defects",
      params: DEFAULT_PARAMS,
      enqueuedAt: new Date(),
      ...values,
    })
    .returning({ id: jobs.id });
  if (!row) throw new Error("job insert returned no row");
  return row.id;
}

/** A user, an image stored in R2 and a queued job for it. */
export async function arrangeJob(worker: TestWorker, ownerId?: string) {
  const owner = ownerId ?? (await insertUser(worker));
  const image = await insertImage(worker, owner);
  const jobId = await insertJob(worker, owner, image.id);
  return { ownerId: owner, image, jobId };
}

export const MODEL = { name: "weld-defects", version: "1.0.0", sha256: "a".repeat(64) };

export function succeededResult(
  jobId: string,
  overrides: Partial<Extract<DetectResult, { status: "succeeded" }>> = {},
) {
  return {
    version: 1,
    jobId,
    status: "succeeded",
    attempt: 1,
    model: MODEL,
    image: { width: 640, height: 480 },
    detections: [
      { classId: 0, label: "porosity", score: 0.91, box: { x1: 10.5, y1: 20.25, x2: 110, y2: 80.75 } },
      { classId: 2, label: "crack", score: 0.42, box: { x1: 300, y1: 40, x2: 420.125, y2: 95 } },
    ],
    timings: { fetchMs: 3, decodeMs: 4, preprocessMs: 1, runMs: 20, postprocessMs: 0.5, totalMs: 28.5 },
    ...overrides,
  } satisfies Extract<DetectResult, { status: "succeeded" }>;
}

export function failedResult(jobId: string, permanent: boolean, attempt = 1) {
  return {
    version: 1,
    jobId,
    status: "failed",
    attempt,
    error: permanent
      ? { code: "image_corrupt", message: "not an image", permanent: true }
      : { code: "image_fetch_failed", message: "connection reset", permanent: false },
  } satisfies Extract<DetectResult, { status: "failed" }>;
}

export async function serviceAuth(): Promise<Record<string, string>> {
  const { secrets } = await sharedServices();
  return { Authorization: `Bearer ${secrets.callbackToken}`, "Content-Type": "application/json" };
}

export async function postResult(
  worker: TestWorker,
  jobId: string,
  body: unknown,
  headers?: Record<string, string>,
) {
  return worker.fetch(`/internal/v1/jobs/${jobId}/result`, {
    method: "POST",
    headers: headers ?? (await serviceAuth()),
    body: JSON.stringify(body),
  });
}

export async function jobRow(worker: TestWorker, jobId: string) {
  const [row] = await worker.db.select().from(jobs).where(eq(jobs.id, jobId));
  return row;
}

export async function detectionRows(worker: TestWorker, jobId: string) {
  return worker.db.select().from(detections).where(eq(detections.jobId, jobId)).orderBy(detections.rank);
}

/** Polls `check` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function eventually<T>(
  check: () => Promise<T | undefined>,
  timeoutMs = 20_000,
  what = "condition",
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what} not reached within ${timeoutMs} ms`);
    await Bun.sleep(100);
  }
}

/** The Worker's configuration as a test Worker runs it, for signing URLs and building messages. */
export async function workerConfig(worker: TestWorker) {
  const { jwtKeys, secrets } = await sharedServices();
  return configSchema.parse({
    DATABASE_URL: worker.databaseUrl,
    JWT_KEYS: jwtKeys,
    INFERENCE_EDGE_URL: worker.origin,
    INFERENCE_CALLBACK_TOKEN: secrets.callbackToken,
    OPERATIONS_TOKEN: secrets.operationsToken,
    IMAGE_URL_SIGNING_KEY: secrets.imageUrlSigningKey,
  });
}

/** Uploads a PNG through the API and creates a job for it, as a client does; returns the job id. */
export async function uploadAndDetect(
  worker: Pick<TestWorker, "fetch">,
  auth: string,
  png: Uint8Array,
): Promise<string> {
  const upload = await worker.fetch("/v1/images", {
    method: "POST",
    headers: { Authorization: auth, "Content-Type": "image/png", "Content-Length": String(png.length) },
    body: png,
  });
  if (upload.status !== 201) throw new Error(`upload answered ${upload.status}: ${await upload.text()}`);
  const imageId = (await readBody(upload, ImageSchema)).id;
  const created = await worker.fetch("/v1/jobs", {
    method: "POST",
    headers: { Authorization: auth, "Content-Type": "application/json" },
    body: JSON.stringify({ imageId }),
  });
  if (created.status !== 202)
    throw new Error(`job creation answered ${created.status}: ${await created.text()}`);
  const [job] = (await readBody(created, QueuedJobsSchema)).jobs;
  if (!job) throw new Error("job creation answered no job");
  return job.id;
}

/**
 * The Worker's `DETECT_QUEUE` producer as its dev entry builds it: sends straight to the test
 * Worker's local Queues API, where inference pulls. Tests enqueue through it as production code does.
 */
export function detectQueueOf(worker: Pick<TestWorker, "detectQueue">): Queue<unknown> {
  return localQueueProducer(worker.detectQueue.workerVars, "detect");
}
