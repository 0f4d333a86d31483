import { describe, expect, test } from "bun:test";
import {
  datasets,
  type jobs,
  modelEvaluations,
  modelVersions,
  trainings,
  webhookDeliveries,
  webhooks,
} from "@db/schema";
import { DEAD_LETTERED } from "@edge/jobs/complete";
import { BacklogSchema } from "@edge/routes/internal/backlog";
import { freePort } from "@scripts/local-stack/ports";
import { insertImage, insertJob, insertUser, serviceAuth } from "@scripts/testing/job-fixtures";
import { readError } from "@scripts/testing/responses";
import { sharedServices } from "@scripts/testing/shared-services";
import { startTestWorker, type TestWorker, useTestWorker } from "@scripts/testing/test-worker";
import { DATABASE_RETRY_AFTER_SECONDS } from "../../src/db-errors";

// The read-only operations endpoints the autoscaler (KEDA) and Prometheus read: the backlog and
// the job, training, evaluation and webhook gauges, behind their own credential.

const worker = useTestWorker({ vars: { OPERATIONS_CACHE_SECONDS: "0" } });

const operations = async () => ({
  Authorization: `Bearer ${(await sharedServices()).secrets.operationsToken}`,
});
const routes = ["/internal/v1/backlog", "/internal/v1/metrics"];
const ago = (seconds: number) => new Date(Date.now() - seconds * 1000);

/** `name{labels} value` lines of a text exposition, keyed by everything before the value. */
function samples(text: string): Map<string, number> {
  const found = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const cut = line.lastIndexOf(" ");
    found.set(line.slice(0, cut), Number(line.slice(cut + 1)));
  }
  return found;
}

/** Training runs in every state, and evaluations of one version: what the trainer figures count. */
async function arrangeTrainings(target: TestWorker, owner: string) {
  const counts = { images: { train: 1, val: 1 }, boxes: { train: 1, val: 1 }, perClass: [] };
  const [dataset] = await target.db
    .insert(datasets)
    .values({
      ownerId: owner,
      name: "welds",
      version: 1,
      source: "reviews",
      seed: "s",
      valFraction: 0.2,
      classes: ["porosity"],
      counts,
      skipped: { pending: 0, unreviewed: 0, duplicate: 0 },
    })
    .returning();
  const datasetId = dataset?.id as string;
  const run = (values: Partial<typeof trainings.$inferInsert>) => ({
    ownerId: owner,
    name: "welds",
    datasetId,
    baseModel: "weld-defects",
    epochs: 1,
    batch: 8,
    seed: 0,
    ...values,
  });
  await target.db.insert(trainings).values([
    // Created long ago, handed back for a retry 400 s ago: it has waited 400 s, not a day.
    run({ status: "queued", createdAt: ago(86_400), updatedAt: ago(400) }),
    run({ status: "queued", updatedAt: ago(10) }),
    run({ status: "running", heartbeatAt: ago(5) }),
    run({ status: "failed", finishedAt: ago(600) }),
    run({ status: "failed", finishedAt: ago(7200) }),
    run({ status: "succeeded", finishedAt: ago(60) }),
    run({ status: "cancelled", finishedAt: ago(60) }),
  ]);
  const version = (n: number) => ({
    ownerId: owner,
    name: "welds",
    version: n,
    objectKey: `models/${owner}/${n}`,
    sha256: "0".repeat(64),
    bytes: 1,
    classes: ["porosity"],
    inputSize: { height: 320, width: 320 },
    layout: "ultralytics",
    metadata: {},
    card: "",
  });
  const versions = await target.db
    .insert(modelVersions)
    .values([version(1), version(2), version(3)])
    .returning();
  const baseline = { source: "shipped", name: "weld-defects" } as const;
  await target.db.insert(modelEvaluations).values(
    (["queued", "running", "succeeded"] as const).map((status, index) => ({
      ownerId: owner,
      versionId: versions[index]?.id as string,
      datasetId,
      baseline,
      status,
    })),
  );
}

async function arrangeFigures(target: TestWorker) {
  const owner = await insertUser(target);
  await arrangeTrainings(target, owner);
  const image = await insertImage(target, owner, { storeObject: false });
  const job = (values: Partial<typeof jobs.$inferInsert>) => insertJob(target, owner, image.id, values);
  await job({ status: "queued", createdAt: ago(120) });
  await job({ status: "queued", createdAt: ago(5) });
  await job({ status: "running", createdAt: ago(600), startedAt: ago(3) });
  await job({ status: "succeeded", finishedAt: ago(30) });
  await job({ status: "succeeded", finishedAt: ago(600) });
  await job({ status: "failed", finishedAt: ago(60), error: "image_corrupt: not an image" });
  await job({
    status: "failed",
    finishedAt: ago(90),
    error: `${DEAD_LETTERED}: no result after 6 attempt(s); last error: x`,
  });
  await job({
    status: "failed",
    finishedAt: ago(7200),
    error: `${DEAD_LETTERED}: no result after 6 attempt(s); last error: x`,
  });
  const [hook] = await target.db
    .insert(webhooks)
    .values({
      ownerId: owner,
      url: "https://hooks.example.com/x",
      events: ["job.failed"],
      secret: "whsec_eA",
    })
    .returning();
  const delivery = (status: "pending" | "failed", updatedAt: Date) => ({
    webhookId: hook?.id as string,
    event: "job.failed" as const,
    payload: {},
    status,
    updatedAt,
  });
  await target.db
    .insert(webhookDeliveries)
    .values([delivery("failed", ago(120)), delivery("failed", ago(7200)), delivery("pending", ago(10))]);
}

describe("operations endpoints: happy path", () => {
  test("backlog and metrics count what the database holds, by window", async () => {
    await arrangeFigures(worker.current);
    const auth = await operations();

    const backlog = await worker.current.fetch("/internal/v1/backlog", { headers: auth });
    expect(backlog.status).toBe(200);
    expect(backlog.headers.get("cache-control")).toBe("no-store");
    const figures = BacklogSchema.parse(await backlog.json());
    expect(figures).toMatchObject({ queued: 2, running: 1, backlog: 3 });
    expect(figures.oldestQueuedAgeSeconds).toBeGreaterThanOrEqual(119);
    expect(figures.oldestQueuedAgeSeconds).toBeLessThan(180);
    // The trainers' scaler reads `trainings.backlog`: queued and running runs, nothing finished.
    expect(figures.trainings).toMatchObject({ queued: 2, running: 1, backlog: 3 });
    expect(figures.trainings.oldestQueuedAgeSeconds).toBeGreaterThanOrEqual(399);
    expect(figures.trainings.oldestQueuedAgeSeconds).toBeLessThan(460);

    const metrics = await worker.current.fetch("/internal/v1/metrics", { headers: auth });
    expect(metrics.status).toBe(200);
    expect(metrics.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
    const text = await metrics.text();
    expect(text).toContain("# TYPE edge_jobs gauge");
    const found = samples(text);
    expect(Object.fromEntries(found)).toMatchObject({
      'edge_jobs{status="queued"}': 2,
      'edge_jobs{status="running"}': 1,
      'edge_jobs_finished_last_5m{status="succeeded"}': 1,
      'edge_jobs_finished_last_5m{status="failed"}': 2,
      edge_jobs_dead_lettered_last_1h: 1,
      edge_webhook_deliveries_failed_last_1h: 1,
      'edge_trainings{status="queued"}': 2,
      'edge_trainings{status="running"}': 1,
      edge_trainings_failed_last_1h: 1,
      'edge_model_evaluations{status="queued"}': 1,
      'edge_model_evaluations{status="running"}': 1,
    });
    expect(found.get("edge_jobs_oldest_queued_age_seconds")).toBeGreaterThanOrEqual(119);
    expect(found.get("edge_trainings_oldest_queued_age_seconds")).toBeGreaterThanOrEqual(399);
    expect(found.size).toBe(13);
  });

  test("an empty queue reads as zero, not as a missing figure", async () => {
    const fresh = await startTestWorker({ vars: { OPERATIONS_CACHE_SECONDS: "0" } });
    try {
      const response = await fresh.fetch("/internal/v1/backlog", { headers: await operations() });
      const empty = { queued: 0, running: 0, backlog: 0, oldestQueuedAgeSeconds: 0 };
      expect(BacklogSchema.parse(await response.json())).toEqual({ ...empty, trainings: empty });
    } finally {
      await fresh.dispose();
    }
  });

  test("within OPERATIONS_CACHE_SECONDS an isolate answers from the figures it read", async () => {
    const cached = await startTestWorker({ vars: { OPERATIONS_CACHE_SECONDS: "60" } });
    try {
      const auth = await operations();
      const read = async () =>
        BacklogSchema.parse(await (await cached.fetch("/internal/v1/backlog", { headers: auth })).json())
          .queued;
      expect(await read()).toBe(0);
      const owner = await insertUser(cached);
      const image = await insertImage(cached, owner, { storeObject: false });
      await insertJob(cached, owner, image.id);
      expect(await read()).toBe(0);
      // The metrics share the same figures: one query serves both.
      const metrics = samples(await (await cached.fetch("/internal/v1/metrics", { headers: auth })).text());
      expect(metrics.get('edge_jobs{status="queued"}')).toBe(0);
    } finally {
      await cached.dispose();
    }
  });
});

describe("operations endpoints: security", () => {
  test("no credential, a wrong one, or the inference callback token → 401 with WWW-Authenticate", async () => {
    const { Authorization: callback } = await serviceAuth();
    for (const path of routes) {
      for (const headers of [
        {},
        { Authorization: "Bearer not-the-operations-token" },
        { Authorization: callback },
      ] as Array<Record<string, string>>) {
        const response = await worker.current.fetch(path, { headers });
        expect(`${path} ${JSON.stringify(headers).slice(0, 30)}: ${response.status}`).toBe(
          `${path} ${JSON.stringify(headers).slice(0, 30)}: 401`,
        );
        expect(response.headers.get("www-authenticate")).toBe('Bearer realm="defect-detection-internal"');
        expect((await readError(response)).code).toBe("unauthorized");
      }
    }
  });

  test("the operations token cannot claim or finish jobs", async () => {
    const jobId = crypto.randomUUID();
    const headers = { ...(await operations()), "Content-Type": "application/json" };
    const claim = await worker.current.fetch(`/internal/v1/jobs/${jobId}/claim`, {
      method: "POST",
      headers,
      body: JSON.stringify({ version: 1, attempt: 1 }),
    });
    expect(claim.status).toBe(401);
    const result = await worker.current.fetch(`/internal/v1/jobs/${jobId}/result`, {
      method: "POST",
      headers,
      body: "{}",
    });
    expect(result.status).toBe(401);
  });
});

describe("operations endpoints: database unavailable", () => {
  test("→ 503 database_unavailable with Retry-After, never a 500", async () => {
    // An SQL-over-HTTP endpoint nothing listens on: every statement fails to connect.
    const down = await startTestWorker({
      sqlEndpoint: `http://127.0.0.1:${await freePort()}/sql`,
      vars: { OPERATIONS_CACHE_SECONDS: "0" },
    });
    try {
      for (const path of routes) {
        const response = await down.fetch(path, { headers: await operations() });
        expect(`${path}: ${response.status}`).toBe(`${path}: 503`);
        expect(response.headers.get("retry-after")).toBe(String(DATABASE_RETRY_AFTER_SECONDS));
        expect((await readError(response)).code).toBe("database_unavailable");
      }
    } finally {
      await down.dispose();
    }
  });
});
