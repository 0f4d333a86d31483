import { describe, expect, test } from "bun:test";
import { ResultAnswerSchema, type ResultOutcome } from "@common/contracts/detect-result";
import { JobClaimSchema } from "@common/contracts/job-claim";
import { MAX_DETECTIONS_PER_IMAGE } from "@common/limits";
import { images, webhookDeliveries, webhooks } from "@db/schema";
import { jobEventData } from "@edge/jobs/events";
import { JobStatusSchema } from "@edge/routes/jobs/schema";
import { webhookEvents } from "@edge/webhooks/deliveries";
import { freePort } from "@scripts/local-stack/ports";
import { startSqlOverHttp } from "@scripts/local-stack/sql-over-http";
import { occupyConnection } from "@scripts/testing/busy-database";
import {
  arrangeJob,
  detectionRows,
  failedResult,
  insertUser,
  jobRow,
  postResult,
  serviceAuth,
  succeededResult,
} from "@scripts/testing/job-fixtures";
import { readBody, readError } from "@scripts/testing/responses";
import { sharedServices } from "@scripts/testing/shared-services";
import { startTestWorker, type TestWorker, useTestWorker } from "@scripts/testing/test-worker";
import { eq, sql } from "drizzle-orm";
import { z } from "zod";

// The claim and the result callback run on every job, so they are single statements over HTTP,
// idempotent on the job id: however many copies of a result race (redeliveries, a second
// consumer), a job gets one result set and one set of webhook deliveries, and every copy gets a
// 2xx answer saying what happened to it. Under overload they answer 503 with Retry-After.

/** Deliveries are only counted here: keep the webhook consumer from working on them meanwhile. */
const QUIET_WEBHOOKS = { webhooks: { max_batch_timeout: 60, max_batch_size: 100 } };

const worker = useTestWorker({ queueConsumers: QUIET_WEBHOOKS });

const answer = (response: Response) => readBody(response, ResultAnswerSchema.strict());

/** A job event delivery as `WebhookPayload` shapes it, `data.job` as `jobEventData` writes it. */
const JobPayloadSchema = z.strictObject({
  id: z.uuid(),
  type: z.enum(webhookEvents),
  createdAt: z.iso.datetime(),
  data: z.strictObject({
    job: z.strictObject({
      id: z.uuid(),
      status: JobStatusSchema,
      imageId: z.uuid(),
      model: z.string(),
      modelVersion: z.string().nullable(),
      modelSha256: z.string().nullable(),
      attempts: z.number().int(),
      error: z.string().nullable(),
      detectionCount: z.number().int(),
      createdAt: z.iso.datetime(),
      startedAt: z.iso.datetime().nullable(),
      finishedAt: z.iso.datetime().nullable(),
    }),
  }),
});

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** An owner with two webhooks for `job.succeeded` / `job.failed` and one for reports only. */
async function ownerWithWebhooks(target: TestWorker) {
  const ownerId = await insertUser(target);
  const hook = (events: Array<(typeof webhookEvents)[number]>) => ({
    ownerId,
    url: "https://hooks.example.com/defects",
    events,
    secret: "whsec_fixture",
  });
  const rows = await target.db
    .insert(webhooks)
    .values([
      hook(["job.succeeded", "job.failed"]),
      hook(["job.succeeded", "job.failed"]),
      hook(["report.ready"]),
    ])
    .returning({ id: webhooks.id });
  return { ownerId, subscribed: rows.slice(0, 2).map((row) => row.id) };
}

/** The delivery rows recorded for one job, payloads parsed. */
async function deliveriesOf(target: TestWorker, jobId: string) {
  const rows = await target.db
    .select()
    .from(webhookDeliveries)
    .where(sql`${webhookDeliveries.payload} -> 'data' -> 'job' ->> 'id' = ${jobId}`);
  return rows.map((row) => ({ ...row, payload: JobPayloadSchema.parse(row.payload) }));
}

function count(outcomes: ResultOutcome[]) {
  const counts: Partial<Record<ResultOutcome, number>> = {};
  for (const outcome of outcomes) counts[outcome] = (counts[outcome] ?? 0) + 1;
  return counts;
}

async function claim(target: TestWorker, jobId: string, attempt: number) {
  return target.fetch(`/internal/v1/jobs/${jobId}/claim`, {
    method: "POST",
    headers: await serviceAuth(),
    body: JSON.stringify({ version: 1, attempt }),
  });
}

describe("concurrent results for one job", () => {
  test("20 identical results: applied once, 19 duplicates, one result set, one delivery per webhook", async () => {
    const { ownerId, subscribed } = await ownerWithWebhooks(worker.current);
    const { jobId } = await arrangeJob(worker.current, ownerId);
    const outcomes = await Promise.all(
      Array.from({ length: 20 }, async (_, i) => {
        const response = await postResult(
          worker.current,
          jobId,
          succeededResult(jobId, { attempt: 1 + (i % 3) }),
        );
        expect(response.status).toBe(200);
        return (await answer(response)).outcome;
      }),
    );
    expect(count(outcomes)).toEqual({ applied: 1, duplicate: 19 });

    const job = await jobRow(worker.current, jobId);
    if (!job) throw new Error("job row missing");
    expect(job.status).toBe("succeeded");
    const rows = await detectionRows(worker.current, jobId);
    expect(rows.map((row) => [row.rank, row.label])).toEqual([
      [0, "porosity"],
      [1, "crack"],
    ]);

    const deliveries = await deliveriesOf(worker.current, jobId);
    expect(deliveries.map((row) => row.webhookId).sort()).toEqual([...subscribed].sort());
    for (const delivery of deliveries) {
      expect(delivery.event).toBe("job.succeeded");
      expect(delivery.id).toMatch(UUID_V7);
      // A UUIDv7 starts with its creation time in milliseconds.
      const createdMs = Number.parseInt(delivery.id.replaceAll("-", "").slice(0, 12), 16);
      expect(Math.abs(createdMs - delivery.createdAt.getTime())).toBeLessThan(5000);
      expect(delivery.payload.id).toBe(delivery.id);
      expect(delivery.payload.type).toBe("job.succeeded");
      // The payload written in SQL is the job exactly as the edge's events show it.
      expect(delivery.payload.data.job).toEqual(jobEventData(job, 2));
    }
  });

  test("20 results with different payloads: applied once; the rest duplicate or conflict_ignored by the winner", async () => {
    const { ownerId, subscribed } = await ownerWithWebhooks(worker.current);
    const { jobId } = await arrangeJob(worker.current, ownerId);
    const first = succeededResult(jobId);
    const second = succeededResult(jobId, {
      detections: [{ classId: 1, label: "slag", score: 0.7, box: { x1: 1, y1: 2, x2: 3, y2: 4 } }],
    });
    const failure = failedResult(jobId, true);
    const payloads = Array.from({ length: 20 }, (_, i) => [first, second, failure][i % 3]);
    const outcomes = await Promise.all(
      payloads.map(
        async (payload) => (await answer(await postResult(worker.current, jobId, payload))).outcome,
      ),
    );
    const winner = payloads[outcomes.indexOf("applied")];
    const alike = payloads.filter((payload) => payload === winner).length;
    expect(count(outcomes)).toEqual({ applied: 1, duplicate: alike - 1, conflict_ignored: 20 - alike });

    const job = await jobRow(worker.current, jobId);
    const rows = await detectionRows(worker.current, jobId);
    if (winner === failure) {
      expect(job).toMatchObject({ status: "failed", error: "image_corrupt: not an image" });
      expect(rows).toHaveLength(0);
    } else {
      expect(job?.status).toBe("succeeded");
      expect(rows.map((row) => row.label)).toEqual(winner === first ? ["porosity", "crack"] : ["slag"]);
    }
    const deliveries = await deliveriesOf(worker.current, jobId);
    expect(deliveries.map((row) => row.webhookId).sort()).toEqual([...subscribed].sort());
    expect(deliveries.map((row) => `${row.event}`)).toEqual([`job.${job?.status}`, `job.${job?.status}`]);
  });

  test("a retryable failure racing a success never unfinishes the job", async () => {
    const { jobId } = await arrangeJob(worker.current);
    const outcomes = await Promise.all([
      ...Array.from(
        { length: 5 },
        async () => (await answer(await postResult(worker.current, jobId, succeededResult(jobId)))).outcome,
      ),
      ...Array.from(
        { length: 5 },
        async () =>
          (await answer(await postResult(worker.current, jobId, failedResult(jobId, false, 2)))).outcome,
      ),
    ]);
    const counts = count(outcomes);
    expect(counts.applied).toBe(1);
    expect(counts.duplicate).toBe(4);
    expect((counts.recorded_retry ?? 0) + (counts.conflict_ignored ?? 0)).toBe(5);
    expect(await jobRow(worker.current, jobId)).toMatchObject({ status: "succeeded", error: null });
    expect(await detectionRows(worker.current, jobId)).toHaveLength(2);
  });
});

describe("what one statement carries", () => {
  test(`the largest result (${MAX_DETECTIONS_PER_IMAGE} detections) is stored whole, ranked in order`, async () => {
    const { jobId } = await arrangeJob(worker.current);
    const found = Array.from({ length: MAX_DETECTIONS_PER_IMAGE }, (_, i) => ({
      classId: i % 4,
      label: `class-${i % 4}`,
      score: 0.5 + (i % 100) / 1000,
      box: { x1: i % 600, y1: i % 400, x2: (i % 600) + 10.25, y2: (i % 400) + 20.5 },
    }));
    const response = await postResult(worker.current, jobId, succeededResult(jobId, { detections: found }));
    expect(await answer(response)).toEqual({ outcome: "applied" });
    const rows = await detectionRows(worker.current, jobId);
    expect(rows).toHaveLength(MAX_DETECTIONS_PER_IMAGE);
    expect(rows.every((row, i) => row.rank === i && row.x2 === found[i]?.box.x2)).toBe(true);
    const again = await postResult(worker.current, jobId, succeededResult(jobId, { detections: found }));
    expect(await answer(again)).toEqual({ outcome: "duplicate" });
  }, 30_000);

  test("a value PostgreSQL cannot store (a NUL in a label) is 400 validation_failed and finishes nothing", async () => {
    const { jobId } = await arrangeJob(worker.current);
    const result = succeededResult(jobId, {
      detections: [{ classId: 0, label: "poro\u0000sity", score: 0.9, box: { x1: 1, y1: 2, x2: 3, y2: 4 } }],
    });
    const response = await postResult(worker.current, jobId, result);
    expect(response.status).toBe(400);
    expect((await readError(response)).code).toBe("validation_failed");
    expect((await jobRow(worker.current, jobId))?.status).toBe("queued");
    expect(await detectionRows(worker.current, jobId)).toHaveLength(0);
  });
});

describe("a result racing a claim of the next attempt", () => {
  test("either order leaves the job finished once, with the attempt counted only if the claim came first", async () => {
    const { ownerId, subscribed } = await ownerWithWebhooks(worker.current);
    const arranged = await Promise.all(Array.from({ length: 10 }, () => arrangeJob(worker.current, ownerId)));
    await Promise.all(
      arranged.map(async ({ jobId }) => {
        const [claimed, result] = await Promise.all([
          claim(worker.current, jobId, 2),
          postResult(worker.current, jobId, succeededResult(jobId, { attempt: 1 })),
        ]);
        expect([claimed.status, result.status]).toEqual([200, 200]);
        const claimAnswer = await readBody(claimed, JobClaimSchema);
        expect(await answer(result)).toEqual({ outcome: "applied" });

        const job = await jobRow(worker.current, jobId);
        expect(job?.status).toBe("succeeded");
        // Claimed first: the attempt was counted, and the result finished the running job.
        // Finished first: the claim refused it and changed nothing.
        expect(job?.attempts).toBe(claimAnswer.outcome === "claimed" ? 2 : 1);
        expect(await detectionRows(worker.current, jobId)).toHaveLength(2);
        const deliveries = await deliveriesOf(worker.current, jobId);
        expect(deliveries.map((row) => row.webhookId).sort()).toEqual([...subscribed].sort());
        expect(deliveries.every((row) => row.payload.data.job.attempts === job?.attempts)).toBe(true);

        // A claim after the result always answers finished and leaves the job as it is.
        expect(await readBody(await claim(worker.current, jobId, 3), JobClaimSchema)).toEqual({
          outcome: "finished",
        });
        expect((await jobRow(worker.current, jobId))?.attempts).toBe(job?.attempts);
      }),
    );
  });
});

describe("a result for a deleted job", () => {
  test("is ignored, final or retryable, and writes nothing", async () => {
    const { ownerId } = await ownerWithWebhooks(worker.current);
    const { jobId, image } = await arrangeJob(worker.current, ownerId);
    // Deleting the image takes its jobs with it, as the image API does.
    await worker.current.db.delete(images).where(eq(images.id, image.id));
    expect(await jobRow(worker.current, jobId)).toBeUndefined();

    for (const result of [succeededResult(jobId), failedResult(jobId, true), failedResult(jobId, false, 2)]) {
      const response = await postResult(worker.current, jobId, result);
      expect(response.status).toBe(200);
      expect(await answer(response)).toEqual({ outcome: "ignored" });
    }
    expect(await detectionRows(worker.current, jobId)).toHaveLength(0);
    expect(await deliveriesOf(worker.current, jobId)).toHaveLength(0);
    expect(await readBody(await claim(worker.current, jobId, 2), JobClaimSchema)).toEqual({
      outcome: "finished",
    });
  });
});

describe("overload", () => {
  test("with the SQL endpoint's pool saturated, claims and results answer 200 or 503 + Retry-After, never 500, and retries apply each job once", async () => {
    const { pg } = await sharedServices();
    const endpoint = startSqlOverHttp({
      port: await freePort(),
      target: { host: "127.0.0.1", port: pg.port },
      poolSize: 1,
      acquireTimeoutMs: 100,
    });
    let tight: TestWorker | undefined;
    try {
      tight = await startTestWorker({ sqlEndpoint: endpoint.url, queueConsumers: QUIET_WEBHOOKS });
      const target = tight;
      const { ownerId, subscribed } = await ownerWithWebhooks(target);
      const arranged = await Promise.all(Array.from({ length: 8 }, () => arrangeJob(target, ownerId)));
      const statuses: number[] = [];

      /** Sends until the answer is not a 503; each answer must come back quickly, whatever it is. */
      async function untilAnswered(send: () => Promise<Response>): Promise<Response> {
        for (;;) {
          const startedAt = Date.now();
          const response = await send();
          expect(Date.now() - startedAt).toBeLessThan(5000);
          statuses.push(response.status);
          if (response.status !== 503) return response;
          expect((await readError(response)).code).toBe("database_unavailable");
          expect(response.headers.get("retry-after")).toMatch(/^\d+$/);
          await Bun.sleep(20 + Math.random() * 80);
        }
      }

      // The only connection is busy with a slow statement when the claims and results arrive.
      const { done: occupying } = await occupyConnection(endpoint, target.databaseUrl, 1);
      await Promise.all(
        arranged.map(async ({ jobId }) => {
          const [claimed, ...results] = await Promise.all([
            untilAnswered(() => claim(target, jobId, 1)),
            ...Array.from({ length: 3 }, () =>
              untilAnswered(() => postResult(target, jobId, succeededResult(jobId))),
            ),
          ]);
          await readBody(claimed as Response, JobClaimSchema);
          const outcomes = await Promise.all(results.map(async (res) => (await answer(res)).outcome));
          // A refusal comes before the statement runs, so each job was applied by exactly one.
          expect(count(outcomes)).toEqual({ applied: 1, duplicate: 2 });
          expect((await jobRow(target, jobId))?.status).toBe("succeeded");
          expect(await detectionRows(target, jobId)).toHaveLength(2);
          const deliveries = await deliveriesOf(target, jobId);
          expect(deliveries.map((row) => row.webhookId).sort()).toEqual([...subscribed].sort());
        }),
      );
      expect(statuses.filter((status) => status !== 200 && status !== 503)).toEqual([]);
      // The pool of one really was saturated: some requests were refused and retried.
      expect(statuses.filter((status) => status === 503).length).toBeGreaterThan(0);
      expect((await occupying).status).toBe(200);
      expect(endpoint.stats().peakOpen).toBe(1);
    } finally {
      await tight?.dispose();
      await endpoint.stop();
    }
  }, 120_000);
});
