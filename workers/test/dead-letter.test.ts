import { expect, test } from "bun:test";
import { webhookDeliveries, webhooks } from "@db/schema";
import { type JobEvent, readJobEvents } from "@edge/jobs/events";
import { detectMessage, enqueueDetect } from "@edge/jobs/queue-messages";
import { forgeAccessToken } from "@scripts/testing/auth-fixtures";
import {
  DEFAULT_PARAMS,
  detectQueueOf,
  eventually,
  insertImage,
  insertJob,
  insertUser,
  jobRow,
  workerConfig,
} from "@scripts/testing/job-fixtures";
import { useWorkerWithStubInference } from "@scripts/testing/stub-inference";
import { eq } from "drizzle-orm";

// A detect message whose every attempt was lost to an unreachable or overloaded inference
// service (nothing ever reported about the job itself) must not fail accepted work: its job goes
// back to `queued` for the sweeper. A reported failure still fails the job; that path is covered
// in detect-queue.test.ts.

const MAX_RETRIES = 2;

const stack = useWorkerWithStubInference({
  vars: { RATE_LIMIT_READ: "1000/60s" },
  detectMaxRetries: MAX_RETRIES,
  queueConsumers: { "detect-dlq": { max_batch_timeout: 0.2 } },
  inference: { env: { INFERENCE_DETECT_RETRY_BASE_DELAY_SECONDS: "0" } },
});

/** Collects the `data:` events of a job event stream until `until` matches one. */
async function collectEvents(body: ReadableStream<Uint8Array>, until: (event: JobEvent) => boolean) {
  const events: JobEvent[] = [];
  for await (const event of readJobEvents(body, AbortSignal.timeout(60_000))) {
    events.push(event);
    if (until(event)) return events;
  }
  throw new Error(`event stream ended after ${JSON.stringify(events.map((e) => e.type))}`);
}

test("a message inference never accepted is dead-lettered back to queued, and the sweeper finishes it", async () => {
  const owner = await insertUser(stack.worker);
  const image = await insertImage(stack.worker, owner);
  // Enqueued long ago, so the sweeper picks it up as soon as it is queued again.
  const jobId = await insertJob(stack.worker, owner, image.id, {
    enqueuedAt: new Date(Date.now() - 3_600_000),
  });
  const [hook] = await stack.worker.db
    .insert(webhooks)
    .values({
      ownerId: owner,
      url: "https://hooks.example.com/defects",
      events: ["job.succeeded", "job.failed"],
      secret: "whsec_c2VjcmV0",
    })
    .returning();
  const hookId = hook?.id as string;

  // The owner's live events, to see everything published about the job in order.
  const auth = `Bearer ${await forgeAccessToken({ claims: { sub: owner } })}`;
  const stream = await stack.worker.fetch("/v1/jobs/events", { headers: { Authorization: auth } });
  expect(stream.status).toBe(200);
  const seen = collectEvents(stream.body as ReadableStream<Uint8Array>, (event) =>
    ["job.succeeded", "job.failed"].includes(event.type),
  );

  // Inference claims the job on every delivery and then loses it (its model's queue refuses),
  // never reporting on it.
  stack.inference.configure({
    behaviour: (delivery) => (delivery.jobId === jobId ? "overloaded" : "succeed"),
  });
  const config = await workerConfig(stack.worker);
  await enqueueDetect(detectQueueOf(stack.worker), [
    await detectMessage(
      config,
      { id: jobId, model: "weld-defects", params: DEFAULT_PARAMS, traceparent: null },
      { id: image.id, objectKey: image.objectKey, width: 640, height: 480, sha256: image.sha256 },
    ),
  ]);

  const deliveriesOfJob = () => stack.inference.deliveries.filter((delivery) => delivery.jobId === jobId);
  await eventually(
    async () => (deliveriesOfJob().length === MAX_RETRIES + 1 ? true : undefined),
    20_000,
    "every delivery attempt lost",
  );
  expect(deliveriesOfJob().map((delivery) => delivery.attempt)).toEqual([1, 2, 3]);
  // Each attempt marked the job running; the dead-letter handler puts it back.
  const requeued = await eventually(
    async () => {
      const row = await jobRow(stack.worker, jobId);
      return row?.status === "queued" ? row : undefined;
    },
    20_000,
    "job back in queued after the dead letter",
  );
  expect(requeued).toMatchObject({ status: "queued", error: null, finishedAt: null, attempts: 3 });
  expect(stack.inference.claims.filter((c) => c.jobId === jobId).map((c) => c.outcome)).toEqual([
    "claimed",
    "claimed",
    "claimed",
  ]);
  expect(stack.inference.callbacks.filter((c) => c.jobId === jobId)).toEqual([]);
  expect(
    await stack.worker.db.select().from(webhookDeliveries).where(eq(webhookDeliveries.webhookId, hookId)),
  ).toEqual([]);

  // Inference is back: the sweeper re-enqueues the job, and it succeeds.
  stack.inference.configure({});
  const swept = await (await stack.worker.mf.getWorker()).scheduled({ cron: "*/5 * * * *" });
  expect(swept.outcome).toBe("ok");
  const done = await eventually(
    async () => {
      const row = await jobRow(stack.worker, jobId);
      return row?.status === "succeeded" ? row : undefined;
    },
    20_000,
    "job succeeded after the sweeper re-enqueued it",
  );
  expect(done.error).toBeNull();

  // In order: three lost attempts, the start after the sweep, the success; never a failure.
  const events = await seen;
  expect(events.map((event) => event.type)).toEqual([
    "job.running",
    "job.running",
    "job.running",
    "job.running",
    "job.succeeded",
  ]);
  const deliveries = await stack.worker.db
    .select({ event: webhookDeliveries.event })
    .from(webhookDeliveries)
    .where(eq(webhookDeliveries.webhookId, hookId));
  expect(deliveries).toEqual([{ event: "job.succeeded" }]);
}, 30_000);
