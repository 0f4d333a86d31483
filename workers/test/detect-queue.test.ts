import { describe, expect, test } from "bun:test";
import { jobs } from "@db/schema";
import { signImageUrl } from "@edge/images/signed-url";
import { detectMessage, enqueueDetect } from "@edge/jobs/queue-messages";
import { DEAD_LETTER_PATH } from "@scripts/local-stack/queue-consumers";
import { signedInUser } from "@scripts/testing/auth-fixtures";
import { imageFixtures } from "@scripts/testing/image-fixtures";
import {
  arrangeJob,
  DEFAULT_PARAMS,
  detectionRows,
  detectQueueOf,
  eventually,
  insertImage,
  insertUser,
  jobRow,
  uploadAndDetect,
  workerConfig,
} from "@scripts/testing/job-fixtures";
import { expectError } from "@scripts/testing/responses";
import { useWorkerWithStubInference } from "@scripts/testing/stub-inference";
import { startTestWorker } from "@scripts/testing/test-worker";
import { eq } from "drizzle-orm";

// The one road of `detect`: the Worker's dev entry sends straight to the local Queues API, and
// inference's own pull consumer and processor (with a stub model) lease, claim, fetch, report and
// ack or retry, as in production.
const LEASE_MS = 2000;
const stack = useWorkerWithStubInference({
  detectMaxRetries: 2,
  queueConsumers: { "detect-dlq": { max_batch_timeout: 0.2 } },
  inference: {
    env: {
      INFERENCE_DETECT_RETRY_BASE_DELAY_SECONDS: "1",
      INFERENCE_DETECT_RETRY_MAX_DELAY_SECONDS: "2",
      INFERENCE_VISIBILITY_TIMEOUT_MS: String(LEASE_MS),
    },
  },
});

/** Arranges `count` queued jobs of one owner and puts their messages on `detect` in one batch. */
async function enqueueJobs(count: number): Promise<string[]> {
  const owner = await insertUser(stack.worker);
  const config = await workerConfig(stack.worker);
  const arranged = await Promise.all(Array.from({ length: count }, () => arrangeJob(stack.worker, owner)));
  const messages = await Promise.all(
    arranged.map(({ jobId, image }) =>
      detectMessage(
        config,
        { id: jobId, model: "weld-defects", params: DEFAULT_PARAMS, traceparent: null },
        { id: image.id, objectKey: image.objectKey, width: 640, height: 480, sha256: image.sha256 },
      ),
    ),
  );
  await enqueueDetect(detectQueueOf(stack.worker), messages);
  return arranged.map(({ jobId }) => jobId);
}

async function allFinished(jobIds: string[]) {
  return eventually(
    async () => {
      const rows = await Promise.all(jobIds.map((id) => jobRow(stack.worker, id)));
      return rows.every((row) => row?.status === "succeeded" || row?.status === "failed") ? rows : undefined;
    },
    30_000,
    "every job finished",
  );
}

/** Each job succeeded once: one applied callback, one set of detections. */
async function expectSucceededExactlyOnce(jobIds: string[]) {
  const rows = await allFinished(jobIds);
  expect(rows.map((row) => row?.status)).toEqual(jobIds.map(() => "succeeded"));
  for (const jobId of jobIds) {
    // A callback is recorded once the edge has answered, a moment after the row changed.
    const applied = await eventually(async () => {
      const count = stack.inference.callbacks.filter(
        (c) => c.jobId === jobId && c.outcome === "applied",
      ).length;
      return count > 0 ? count : undefined;
    });
    expect(applied).toBe(1);
    const detections = await detectionRows(stack.worker, jobId);
    expect(detections.map((d) => d.rank)).toEqual([0, 1]);
  }
}

const deliveriesOf = (jobId: string) => stack.inference.deliveries.filter((d) => d.jobId === jobId);

describe("detect through inference's pull consumer", () => {
  test("messages are pulled, claimed, read by signed URL, reported and acked once", async () => {
    stack.inference.configure({});
    const before = stack.worker.detectQueue.api.stats("detect").acked;
    const jobIds = await enqueueJobs(3);
    await expectSucceededExactlyOnce(jobIds);
    expect(jobIds.map((id) => deliveriesOf(id).map((d) => d.attempt))).toEqual([[1], [1], [1]]);
    const job = await jobRow(stack.worker, jobIds[0] as string);
    expect(job?.attempts).toBe(1);
    expect(job?.startedAt).toBeInstanceOf(Date);
    await eventually(async () =>
      stack.worker.detectQueue.api.stats("detect").acked >= before + 3 ? true : undefined,
    );
    expect(stack.worker.detectQueue.api.stats("detect")).toMatchObject({ leased: 0, deadLettered: 0 });
  });

  test("a retryable failure: reported, redelivered after the backoff, and succeeds once", async () => {
    stack.inference.configure({ behaviour: ({ attempt }) => (attempt === 1 ? "fail" : "succeed") });
    const jobIds = await enqueueJobs(4);
    await expectSucceededExactlyOnce(jobIds);
    const rows = await Promise.all(jobIds.map((id) => jobRow(stack.worker, id)));
    expect(rows.map((row) => row?.attempts)).toEqual(jobIds.map(() => 2));
    for (const jobId of jobIds) {
      const [failed, retried] = deliveriesOf(jobId);
      expect([failed?.attempt, retried?.attempt]).toEqual([1, 2]);
      // delay_seconds for attempt 1 is INFERENCE_DETECT_RETRY_BASE_DELAY_SECONDS = 1.
      expect((retried?.at ?? 0) - (failed?.at ?? 0)).toBeGreaterThanOrEqual(900);
      expect(stack.inference.callbacks.filter((c) => c.jobId === jobId).map((c) => c.outcome)).toEqual([
        "recorded_retry",
        "applied",
      ]);
    }
  });

  test("a delivery that runs past its lease is delivered again; the job's result is applied once", async () => {
    stack.inference.configure({ behaviour: ({ attempt }) => (attempt === 1 ? "hang" : "succeed") });
    const [jobId] = await enqueueJobs(1);
    await expectSucceededExactlyOnce([jobId as string]);
    // The second delivery (after the lease ran out) finished the job; the first, when it woke,
    // found its result already there.
    const outcomes = await eventually(async () => {
      const seen = stack.inference.callbacks.filter((c) => c.jobId === jobId);
      return seen.length === 2 ? seen.map((c) => [c.attempt, c.outcome]) : undefined;
    });
    expect(outcomes).toEqual([
      [2, "applied"],
      [1, "duplicate"],
    ]);
    expect(deliveriesOf(jobId as string).map((d) => d.attempt)).toEqual([1, 2]);
    expect((await jobRow(stack.worker, jobId as string))?.attempts).toBe(2);
    expect(await detectionRows(stack.worker, jobId as string)).toHaveLength(2);
  });

  test("a permanent failure is reported once and acked, never redelivered", async () => {
    stack.inference.configure({ behaviour: () => "fail-permanently" });
    const [jobId] = await enqueueJobs(1);
    const job = await eventually(async () => {
      const row = await jobRow(stack.worker, jobId as string);
      return row?.status === "failed" ? row : undefined;
    });
    expect(job.error).toContain("image_corrupt");
    expect(job.attempts).toBe(1);
    await Bun.sleep(1500);
    expect(deliveriesOf(jobId as string).map((d) => d.attempt)).toEqual([1]);
  });

  test("a body no consumer can read is retried to the dead-letter queue, where it is dropped", async () => {
    stack.inference.configure({});
    const queue = stack.worker.detectQueue.api;
    const before = queue.stats("detect").deadLettered;
    queue.send("detect", [{ body: { version: 99, note: "not a detect message" } }]);
    await eventually(
      async () => (queue.stats("detect").deadLettered === before + 1 ? true : undefined),
      15_000,
      "the unreadable message dead-lettered",
    );
    expect(queue.stats("detect")).toMatchObject({ leased: 0 });
  });

  test("the dev entry's dead-letter endpoint refuses a body that is not a batch of messages", async () => {
    const { LOCAL_QUEUES_TOKEN } = stack.worker.detectQueue.workerVars;
    for (const body of ["{", JSON.stringify({ messages: "none" }), JSON.stringify({})]) {
      const response = await stack.worker.fetch(DEAD_LETTER_PATH, {
        method: "POST",
        headers: { authorization: `Bearer ${LOCAL_QUEUES_TOKEN}`, "content-type": "application/json" },
        body,
      });
      expect(`${body}: ${response.status}`).toBe(`${body}: 400`);
    }
  });

  test("two messages for one job in one batch (a re-enqueue racing the original) apply once", async () => {
    stack.inference.configure({});
    const { jobId, image } = await arrangeJob(stack.worker);
    const config = await workerConfig(stack.worker);
    const message = () =>
      detectMessage(
        config,
        { id: jobId, model: "weld-defects", params: DEFAULT_PARAMS, traceparent: null },
        { id: image.id, objectKey: image.objectKey, width: 640, height: 480, sha256: image.sha256 },
      );
    await enqueueDetect(detectQueueOf(stack.worker), [await message(), await message()]);
    await expectSucceededExactlyOnce([jobId]);
    const outcomes = await eventually(async () => {
      const seen = stack.inference.callbacks.filter((c) => c.jobId === jobId).map((c) => c.outcome);
      return seen.length === 2 ? seen.sort() : undefined;
    });
    expect(outcomes).toEqual(["applied", "duplicate"]);
    expect(await detectionRows(stack.worker, jobId)).toHaveLength(2);
  });

  test("a message that always fails ends in the dead-letter queue and its job fails with the reason", async () => {
    // Ids are known only once enqueued: inference is down meanwhile, so none is pulled early.
    await stack.inference.stop();
    const [doomed, fine] = await enqueueJobs(2);
    stack.inference.configure({ behaviour: ({ jobId }) => (jobId === doomed ? "fail" : "succeed") });
    stack.inference.start();
    const job = await eventually(
      async () => {
        const row = await jobRow(stack.worker, doomed as string);
        return row?.status === "failed" ? row : undefined;
      },
      30_000,
      "job failed by the dead-letter handler",
    );
    expect(job.attempts).toBe(3);
    expect(deliveriesOf(doomed as string).map((d) => d.attempt)).toEqual([1, 2, 3]);
    expect(job.error).toContain("dead_lettered");
    expect(job.error).toContain("inference_failed: tensor shape mismatch");
    expect(job.finishedAt).toBeInstanceOf(Date);
    expect(await detectionRows(stack.worker, doomed as string)).toHaveLength(0);
    expect((await jobRow(stack.worker, fine as string))?.status).toBe("succeeded");
  });

  test("a message that waited past its image URL's lifetime still succeeds: the claim signs a fresh one", async () => {
    stack.inference.configure({});
    const { jobId, image } = await arrangeJob(stack.worker);
    const config = await workerConfig(stack.worker);
    const queued = await detectMessage(
      config,
      { id: jobId, model: "weld-defects", params: DEFAULT_PARAMS, traceparent: null },
      { id: image.id, objectKey: image.objectKey, width: 640, height: 480, sha256: image.sha256 },
    );
    // Its URL was signed an hour ago: as if the message had sat in a backlog since.
    const expired = await signImageUrl(
      config,
      image.objectKey,
      Date.now() - 3_600_000 - config.IMAGE_URL_TTL_SECONDS * 1000,
    );
    const message = {
      ...queued,
      image: { ...queued.image, url: expired.url, urlExpiresAt: expired.expiresAt.toISOString() },
    };
    const refused = await fetch(expired.url);
    await expectError(refused, 403, "signature_expired");

    await enqueueDetect(detectQueueOf(stack.worker), [message]);
    await expectSucceededExactlyOnce([jobId]);
    const [claim] = stack.inference.claims.filter((c) => c.jobId === jobId);
    expect(claim?.outcome).toBe("claimed");
    expect(claim?.url).not.toBe(expired.url);
    // Inference read it from the bucket by a presigned URL, not through the Worker.
    expect(new URL(claim?.url ?? "").searchParams.get("X-Amz-Algorithm")).toBe("AWS4-HMAC-SHA256");
    expect((await jobRow(stack.worker, jobId))?.attempts).toBe(1);
  });

  test("messages of finished or deleted jobs are acked once their claim answers finished", async () => {
    stack.inference.configure({});
    const [done] = await enqueueJobs(1);
    await expectSucceededExactlyOnce([done as string]);
    const config = await workerConfig(stack.worker);
    const owner = await insertUser(stack.worker);
    const fresh = await arrangeJob(stack.worker, owner);
    const message = (jobId: string) =>
      detectMessage(
        config,
        { id: jobId, model: "weld-defects", params: DEFAULT_PARAMS, traceparent: null },
        {
          id: fresh.image.id,
          objectKey: fresh.image.objectKey,
          width: 640,
          height: 480,
          sha256: fresh.image.sha256,
        },
      );
    const gone = crypto.randomUUID();
    // A re-enqueued message for a finished job, one for a deleted job, then a live one behind them.
    await enqueueDetect(detectQueueOf(stack.worker), [
      await message(done as string),
      await message(gone),
      await message(fresh.jobId),
    ]);
    await expectSucceededExactlyOnce([fresh.jobId]);
    const claimsOf = (jobId: string) => stack.inference.claims.filter((c) => c.jobId === jobId);
    expect(await eventually(async () => (claimsOf(gone).length > 0 ? claimsOf(gone) : undefined))).toEqual([
      { jobId: gone, attempt: 1, outcome: "finished" },
    ]);
    expect(claimsOf(done as string).map((c) => c.outcome)).toEqual(["claimed", "finished"]);
    // Nothing ran again: the finished job has its one result, the deleted one none.
    expect(stack.inference.callbacks.filter((c) => c.jobId === done)).toHaveLength(1);
    expect(stack.inference.callbacks.filter((c) => c.jobId === gone)).toHaveLength(0);
  });

  test("a job created while nothing pulls is in the local Queues API, and pulled after the Worker restarts", async () => {
    stack.inference.configure({});
    await stack.inference.stop();
    const queue = stack.worker.detectQueue.api;
    const before = queue.stats("detect").backlog;
    const { auth } = await signedInUser(stack.worker);
    const jobId = await uploadAndDetect(stack.worker, auth, await imageFixtures.png());
    // Sent before creation answered: no message waits in workerd's memory.
    expect(queue.stats("detect").backlog).toBe(before + 1);
    // What a killed wrangler or workerd comes back to: a fresh runtime, the same queue.
    await stack.worker.restartRuntime();
    stack.inference.start();
    await expectSucceededExactlyOnce([jobId]);
    expect(deliveriesOf(jobId).map((d) => d.attempt)).toEqual([1]);
  }, 60_000);
});

test("job creation answers 503 queue_unavailable and creates nothing when the local Queues API refuses", async () => {
  const worker = await startTestWorker({ vars: { LOCAL_QUEUES_TOKEN: "not-the-token" } });
  try {
    const { user, auth } = await signedInUser(worker);
    const image = await insertImage(worker, user.id);
    const created = await worker.fetch("/v1/jobs", {
      method: "POST",
      headers: { Authorization: auth, "Content-Type": "application/json" },
      body: JSON.stringify({ imageId: image.id }),
    });
    await expectError(created, 503, "queue_unavailable");
    const rows = await worker.db.select().from(jobs).where(eq(jobs.ownerId, user.id));
    expect(rows).toHaveLength(0);
  } finally {
    await worker.dispose();
  }
}, 120_000);
