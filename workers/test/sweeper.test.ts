import { afterAll, expect, test } from "bun:test";
import {
  datasetItems,
  datasets,
  modelUploads,
  modelVersions,
  reports,
  webhookDeliveries,
  webhooks,
} from "@db/schema";
import {
  arrangeJob,
  detectionRows,
  eventually,
  insertImage,
  insertJob,
  insertUser,
  jobRow,
} from "@scripts/testing/job-fixtures";
import { succeededJob } from "@scripts/testing/review-fixtures";
import { useWorkerWithStubInference } from "@scripts/testing/stub-inference";
import { eq } from "drizzle-orm";
import {
  DATASET_ORPHAN_CURSOR_KEY,
  MODEL_ORPHAN_CURSOR_KEY,
  ORPHAN_CURSOR_KEY,
  REPORT_ORPHAN_CURSOR_KEY,
} from "../src/scheduled/sweeper";

const received: string[] = [];
const receiver = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  fetch: async (request) => {
    received.push(request.headers.get("webhook-id") ?? "");
    return new Response(null, { status: 204 });
  },
});

const stack = useWorkerWithStubInference({
  vars: {
    ORPHAN_MIN_AGE_SECONDS: "2",
    SWEEP_MAX_OBJECTS: "2",
    WEBHOOK_ALLOW_INSECURE_URLS: "true",
  },
  queueConsumers: {
    webhooks: { max_batch_timeout: 0.2 },
    reports: { max_batch_timeout: 0.2 },
  },
});
afterAll(() => receiver.stop(true));

async function runSweeper() {
  const result = await (await stack.worker.mf.getWorker()).scheduled({ cron: "*/5 * * * *" });
  expect(result.outcome).toBe("ok");
}

const hoursAgo = (hours: number) => new Date(Date.now() - hours * 3_600_000);

test("stuck running and long-queued jobs are re-enqueued and then finish; others are left alone", async () => {
  const owner = await insertUser(stack.worker);
  const image = await insertImage(stack.worker, owner);
  const stuckRunning = await insertJob(stack.worker, owner, image.id, {
    status: "running",
    attempts: 1,
    startedAt: hoursAgo(2),
    enqueuedAt: hoursAgo(2),
  });
  const lostQueued = await insertJob(stack.worker, owner, image.id, {
    enqueuedAt: null,
    createdAt: hoursAgo(2),
  });
  const busy = await insertJob(stack.worker, owner, image.id, { status: "running", startedAt: new Date() });
  const finished = await insertJob(stack.worker, owner, image.id, {
    status: "succeeded",
    finishedAt: hoursAgo(3),
    enqueuedAt: hoursAgo(3),
  });

  await runSweeper();
  for (const jobId of [stuckRunning, lostQueued]) {
    const job = await eventually(async () => {
      const row = await jobRow(stack.worker, jobId);
      return row?.status === "succeeded" ? row : undefined;
    });
    expect(job.enqueuedAt?.getTime()).toBeGreaterThan(hoursAgo(0.1).getTime());
    expect(await detectionRows(stack.worker, jobId)).toHaveLength(2);
  }
  expect((await jobRow(stack.worker, busy))?.status).toBe("running");
  expect((await jobRow(stack.worker, finished))?.status).toBe("succeeded");
  expect(stack.inference.callbacks.filter((c) => c.jobId === busy || c.jobId === finished)).toHaveLength(0);
});

test("queued jobs never started are re-enqueued after JOB_UNSTARTED_AFTER_SECONDS, once per run", async () => {
  const owner = await insertUser(stack.worker);
  const image = await insertImage(stack.worker, owner);
  const minutesAgo = (minutes: number) => new Date(Date.now() - minutes * 60_000);
  // Past the default 120 s with no attempt: its message never reached inference.
  const lost = await insertJob(stack.worker, owner, image.id, { enqueuedAt: minutesAgo(3) });
  // Still within the bound: a normal queueing wait.
  const waiting = await insertJob(stack.worker, owner, image.id, { enqueuedAt: minutesAgo(1) });
  // Tried before (a dead letter put it back): the 900 s bound applies.
  const retried = await insertJob(stack.worker, owner, image.id, { attempts: 1, enqueuedAt: minutesAgo(3) });
  const before = stack.worker.detectQueue.api.stats("detect").acked;

  await runSweeper();
  // A second run right after finds it freshly enqueued: no second message.
  await runSweeper();
  const job = await eventually(async () => {
    const row = await jobRow(stack.worker, lost);
    return row?.status === "succeeded" ? row : undefined;
  });
  expect(job.attempts).toBe(1);
  expect(stack.inference.deliveries.filter((d) => d.jobId === lost)).toHaveLength(1);
  await eventually(async () =>
    stack.worker.detectQueue.api.stats("detect").acked >= before + 1 ? true : undefined,
  );
  expect(stack.worker.detectQueue.api.stats("detect").backlog).toBe(0);
  for (const [jobId, enqueuedAt] of [
    [waiting, minutesAgo(1)],
    [retried, minutesAgo(3)],
  ] as const) {
    const row = await jobRow(stack.worker, jobId);
    expect(row?.status).toBe("queued");
    expect(Math.abs((row?.enqueuedAt?.getTime() ?? 0) - enqueuedAt.getTime())).toBeLessThan(10_000);
  }
});

test("objects under images/ that no row references are deleted once old enough, across runs", async () => {
  const bucket = await stack.worker.mf.getR2Bucket("IMAGES");
  const { image } = await arrangeJob(stack.worker);
  const orphans = [`images/orphan-a-${crypto.randomUUID()}`, `images/orphan-b-${crypto.randomUUID()}`];
  for (const key of orphans) await bucket.put(key, "left behind by a failed upload");
  await bucket.put("elsewhere/kept", "outside the images/ prefix");
  await Bun.sleep(2100);
  const young = `images/young-${crypto.randomUUID()}`;
  await bucket.put(young, "an upload still writing its row");

  // SWEEP_MAX_OBJECTS = 2 and at least five objects: the first run stops early and saves its place.
  await runSweeper();
  expect(await bucket.head(ORPHAN_CURSOR_KEY)).not.toBeNull();
  for (let run = 0; run < 3; run++) await runSweeper();
  for (const key of orphans) expect(await bucket.head(key)).toBeNull();
  expect(await bucket.head(image.objectKey)).not.toBeNull();
  expect(await bucket.head(young)).not.toBeNull();
  expect(await bucket.head("elsewhere/kept")).not.toBeNull();
});

test("a webhook delivery whose message was lost is sent again", async () => {
  const owner = await insertUser(stack.worker);
  const [hook] = await stack.worker.db
    .insert(webhooks)
    .values({ ownerId: owner, url: receiver.url.href, events: ["job.succeeded"], secret: "whsec_c2VjcmV0" })
    .returning();
  const deliveryId = crypto.randomUUID();
  await stack.worker.db.insert(webhookDeliveries).values({
    id: deliveryId,
    webhookId: hook?.id as string,
    event: "job.succeeded",
    payload: { id: deliveryId },
    updatedAt: hoursAgo(1),
  });
  await runSweeper();
  await eventually(async () => (received.includes(deliveryId) ? true : undefined));
  const [row] = await stack.worker.db
    .select()
    .from(webhookDeliveries)
    .where(eq(webhookDeliveries.id, deliveryId));
  expect(row).toMatchObject({ status: "succeeded", attempts: 1, lastStatusCode: 204 });
});

test("reports whose message was lost or whose render died are re-enqueued and rendered; fresh ones wait", async () => {
  const owner = await insertUser(stack.worker);
  const { jobId } = await succeededJob(stack.worker, owner);
  const report = (sequence: number, status: "queued" | "rendering", updatedAt: Date) => ({
    ownerId: owner,
    sequence,
    status,
    jobs: [{ jobId, pixelSizeMm: null, pixelSizeSource: null }],
    header: { customer: "Sweeper test" },
    verdict: "accept" as const,
    updatedAt,
  });
  const rows = await stack.worker.db
    .insert(reports)
    .values([
      report(1, "queued", hoursAgo(2)),
      report(2, "rendering", hoursAgo(2)),
      report(3, "queued", new Date()),
    ])
    .returning({ id: reports.id });
  const [lost, died, fresh] = rows.map((row) => row.id) as [string, string, string];
  const reportRow = async (id: string) =>
    (await stack.worker.db.select().from(reports).where(eq(reports.id, id)))[0];

  await runSweeper();
  for (const id of [lost, died]) {
    const ready = await eventually(async () => {
      const row = await reportRow(id);
      return row?.status === "ready" ? row : undefined;
    });
    expect(ready.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(ready.pageCount).toBeGreaterThan(0);
  }
  expect((await reportRow(fresh))?.status).toBe("queued");
});

test("report PDFs no report row refers to (a deleted user's, say) are deleted; a ready report's stays", async () => {
  const bucket = await stack.worker.mf.getR2Bucket("IMAGES");
  const owner = await insertUser(stack.worker);
  const { jobId } = await succeededJob(stack.worker, owner);
  const keptKey = `reports/${owner}/${crypto.randomUUID()}.pdf`;
  await bucket.put(keptKey, "%PDF-1.7 a ready report");
  await stack.worker.db.insert(reports).values({
    ownerId: owner,
    sequence: 1,
    status: "ready",
    jobs: [{ jobId, pixelSizeMm: null, pixelSizeSource: null }],
    header: {},
    verdict: "accept",
    objectKey: keptKey,
  });
  const orphans = [1, 2, 3].map((n) => `reports/${crypto.randomUUID()}/${n}.pdf`);
  for (const key of orphans) await bucket.put(key, "%PDF-1.7 its owner was deleted");
  await Bun.sleep(2100);

  // SWEEP_MAX_OBJECTS = 2 and four PDFs: the scan needs more than one run and saves its place.
  await runSweeper();
  expect(await bucket.head(REPORT_ORPHAN_CURSOR_KEY)).not.toBeNull();
  for (let run = 0; run < 3; run++) await runSweeper();
  for (const key of orphans) expect(await bucket.head(key)).toBeNull();
  expect(await bucket.head(keptKey)).not.toBeNull();
});

test("dataset images and archives no item refers to are deleted; a version's images stay", async () => {
  const bucket = await stack.worker.mf.getR2Bucket("IMAGES");
  const owner = await insertUser(stack.worker);
  const [dataset] = await stack.worker.db
    .insert(datasets)
    .values({
      ownerId: owner,
      name: "welds",
      version: 1,
      source: "yolo",
      seed: "s",
      valFraction: 0.2,
      classes: ["porosity"],
      counts: { images: { train: 1, val: 0 }, boxes: { train: 0, val: 0 }, perClass: [] },
      skipped: { pending: 0, unreviewed: 0, duplicate: 0 },
    })
    .returning();
  if (!dataset) throw new Error("no dataset row");
  const keptKey = `datasets/${owner}/${dataset.id}/kept`;
  await bucket.put(keptKey, "a version's image");
  await stack.worker.db.insert(datasetItems).values({
    datasetId: dataset.id,
    key: "a.png",
    objectKey: keptKey,
    sha256: "a".repeat(64),
    bytes: 17,
    format: "png",
    width: 1,
    height: 1,
    bitDepth: 8,
    split: "train",
    boxes: [],
  });
  // What an import whose isolate died leaves: images without rows, and its archive.
  const dead = crypto.randomUUID();
  const orphans = [`datasets/${owner}/${dead}/x1`, `datasets/${owner}/${dead}/archive.zip`];
  for (const key of orphans) await bucket.put(key, "left by a lost import");
  await Bun.sleep(2100);

  await runSweeper();
  expect(await bucket.head(DATASET_ORPHAN_CURSOR_KEY)).not.toBeNull();
  for (let run = 0; run < 3; run++) await runSweeper();
  for (const key of orphans) expect(await bucket.head(key)).toBeNull();
  expect(await bucket.head(keptKey)).not.toBeNull();
});

test("model files: a version's and an open upload's stay; failed and long-expired uploads' go", async () => {
  const bucket = await stack.worker.mf.getR2Bucket("IMAGES");
  const owner = await insertUser(stack.worker);
  const key = (name: string) => `models/${owner}/${name}-${crypto.randomUUID()}.onnx`;
  const versionKey = key("version");
  const openKey = key("open");
  const failedKey = key("failed");
  const abandonedKey = key("abandoned");
  const strayKey = key("stray");
  for (const k of [versionKey, openKey, failedKey, abandonedKey, strayKey]) await bucket.put(k, "onnx");
  await stack.worker.db.insert(modelVersions).values({
    ownerId: owner,
    name: "welds",
    version: 1,
    objectKey: versionKey,
    sha256: "b".repeat(64),
    bytes: 4,
    classes: ["porosity"],
    inputSize: { height: 320, width: 320 },
    layout: "ultralytics",
    metadata: {},
    card: "# welds@1",
  });
  const upload = (stagingKey: string, status: "received" | "failed", expiresAt: Date) => ({
    ownerId: owner,
    name: "welds",
    stagingKey,
    status,
    expiresAt,
  });
  await stack.worker.db.insert(modelUploads).values([
    // Bytes received, not completed yet: the client may still complete it.
    upload(openKey, "received", new Date(Date.now() + 600_000)),
    upload(failedKey, "failed", new Date(Date.now() + 600_000)),
    // Received and never completed, expired longer than ORPHAN_MIN_AGE_SECONDS (2 s) ago.
    upload(abandonedKey, "received", hoursAgo(1)),
  ]);
  await Bun.sleep(2100);

  await runSweeper();
  expect(await bucket.head(MODEL_ORPHAN_CURSOR_KEY)).not.toBeNull();
  for (let run = 0; run < 3; run++) await runSweeper();
  for (const k of [failedKey, abandonedKey, strayKey]) expect(await bucket.head(k)).toBeNull();
  for (const k of [versionKey, openKey]) expect(await bucket.head(k)).not.toBeNull();
});
