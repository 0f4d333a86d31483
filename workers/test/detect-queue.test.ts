import { describe, expect, test } from "bun:test";
import { signImageUrl } from "@edge/images/signed-url";
import { detectMessage, enqueueDetect } from "@edge/jobs/queue-messages";
import { useWorkerWithFakeInference } from "@scripts/testing/fake-inference";
import {
  arrangeJob,
  DEFAULT_PARAMS,
  detectionRows,
  eventually,
  insertUser,
  jobRow,
  workerConfig,
} from "@scripts/testing/job-fixtures";

const stack = useWorkerWithFakeInference({
  vars: {
    INFERENCE_PUSH_TIMEOUT_MS: "1500",
    DETECT_RETRY_BASE_DELAY_SECONDS: "1",
    DETECT_RETRY_MAX_DELAY_SECONDS: "2",
  },
  queueConsumers: {
    detect: { max_batch_timeout: 0.2, max_retries: 2 },
    "detect-dlq": { max_batch_timeout: 0.2 },
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
  await enqueueDetect(await stack.worker.mf.getQueueProducer("DETECT_QUEUE"), messages);
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
    // The fake records a callback once the edge has answered, a moment after the row changed.
    const applied = await eventually(async () => {
      const count = stack.fake.callbacks.filter((c) => c.jobId === jobId && c.outcome === "applied").length;
      return count > 0 ? count : undefined;
    });
    expect(applied).toBe(1);
    const detections = await detectionRows(stack.worker, jobId);
    expect(detections.map((d) => d.rank)).toEqual([0, 1]);
  }
}

describe("local push bridge", () => {
  test("a pushed batch is processed: jobs run, images are read by signed URL, results land once", async () => {
    stack.fake.configure({});
    const jobIds = await enqueueJobs(3);
    await expectSucceededExactlyOnce(jobIds);
    const first = stack.fake.pushes.find((push) => jobIds.some((id) => id in push.attempts));
    expect(first && Object.values(first.attempts)).toEqual([1, 1, 1]);
    const job = await jobRow(stack.worker, jobIds[0] as string);
    expect(job?.attempts).toBe(1);
    expect(job?.startedAt).toBeInstanceOf(Date);
  });

  test("inference failing the first push: every message is retried after a backoff and succeeds once", async () => {
    const jobIds = await enqueueJobs(4);
    stack.fake.configure({
      onPush: (batch) => (batch.messages.some((m) => m.attempts === 1) ? "reject" : "handle"),
    });
    await expectSucceededExactlyOnce(jobIds);
    const rows = await Promise.all(jobIds.map((id) => jobRow(stack.worker, id)));
    expect(rows.map((row) => row?.attempts)).toEqual(jobIds.map(() => 2));
    const ours = stack.fake.pushes.filter((push) => jobIds.some((id) => id in push.attempts));
    const rejected = ours.find((push) => Object.values(push.attempts).includes(1));
    const retried = ours.find((push) => Object.values(push.attempts).includes(2));
    // delaySeconds for attempt 1 is DETECT_RETRY_BASE_DELAY_SECONDS = 1.
    expect((retried?.at ?? 0) - (rejected?.at ?? 0)).toBeGreaterThanOrEqual(900);
  });

  test("inference dying mid-batch: the half already reported is not applied twice", async () => {
    let died = false;
    stack.fake.configure({
      onPush: () => {
        if (died) return "handle";
        died = true;
        return "die";
      },
    });
    const jobIds = await enqueueJobs(6);
    await expectSucceededExactlyOnce(jobIds);
    const reportedBeforeDying = stack.fake.callbacks.filter(
      (c) => jobIds.includes(c.jobId) && c.attempt === 1,
    );
    expect(reportedBeforeDying.map((c) => c.outcome)).toEqual(["applied", "applied", "applied"]);
    // The whole batch comes back; the claims of the jobs already reported answer "finished", so
    // only the others run again.
    const reclaimed = stack.fake.claims.filter((c) => jobIds.includes(c.jobId) && c.attempt > 1);
    const jobsAnswered = (outcome: string) =>
      reclaimed
        .filter((c) => c.outcome === outcome)
        .map((c) => c.jobId)
        .sort();
    const unreported = jobIds.filter((id) => !reportedBeforeDying.some((c) => c.jobId === id)).sort();
    expect(jobsAnswered("finished")).toEqual(reportedBeforeDying.map((c) => c.jobId).sort());
    expect(jobsAnswered("claimed")).toEqual(unreported);
    expect(stack.fake.callbacks.filter((c) => jobIds.includes(c.jobId))).toHaveLength(6);
  });

  test("two messages for one job in one batch (a re-enqueue racing the original) apply once", async () => {
    stack.fake.configure({});
    const { jobId, image } = await arrangeJob(stack.worker);
    const config = await workerConfig(stack.worker);
    const message = () =>
      detectMessage(
        config,
        { id: jobId, model: "weld-defects", params: DEFAULT_PARAMS, traceparent: null },
        { id: image.id, objectKey: image.objectKey, width: 640, height: 480, sha256: image.sha256 },
      );
    await enqueueDetect(await stack.worker.mf.getQueueProducer("DETECT_QUEUE"), [
      await message(),
      await message(),
    ]);
    await expectSucceededExactlyOnce([jobId]);
    const outcomes = await eventually(async () => {
      const seen = stack.fake.callbacks.filter((c) => c.jobId === jobId).map((c) => c.outcome);
      return seen.length === 2 ? seen.sort() : undefined;
    });
    expect(outcomes).toEqual(["applied", "duplicate"]);
    expect(await detectionRows(stack.worker, jobId)).toHaveLength(2);
  });

  test("a message that always fails ends in the dead-letter queue and its job fails with the reason", async () => {
    const [doomed, fine] = await enqueueJobs(2);
    stack.fake.configure({ behaviour: (message) => (message.body.jobId === doomed ? "fail" : "succeed") });
    const job = await eventually(
      async () => {
        const row = await jobRow(stack.worker, doomed as string);
        return row?.status === "failed" ? row : undefined;
      },
      30_000,
      "job failed by the dead-letter handler",
    );
    expect(job.attempts).toBe(3);
    expect(job.error).toContain("dead_lettered");
    expect(job.error).toContain("inference_failed: tensor shape mismatch");
    expect(job.finishedAt).toBeInstanceOf(Date);
    expect(await detectionRows(stack.worker, doomed as string)).toHaveLength(0);
    expect((await jobRow(stack.worker, fine as string))?.status).toBe("succeeded");
  });

  test("a message that waited past its image URL's lifetime still succeeds: the claim signs a fresh one", async () => {
    stack.fake.configure({});
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
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe("signature_expired");

    await enqueueDetect(await stack.worker.mf.getQueueProducer("DETECT_QUEUE"), [message]);
    await expectSucceededExactlyOnce([jobId]);
    const [claim] = stack.fake.claims.filter((c) => c.jobId === jobId);
    expect(claim?.outcome).toBe("claimed");
    expect(claim?.url).not.toBe(expired.url);
    expect((await jobRow(stack.worker, jobId))?.attempts).toBe(1);
  });

  test("messages of finished or deleted jobs are acked once their claim answers finished", async () => {
    stack.fake.configure({});
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
    await enqueueDetect(await stack.worker.mf.getQueueProducer("DETECT_QUEUE"), [
      await message(done as string),
      await message(gone),
      await message(fresh.jobId),
    ]);
    await expectSucceededExactlyOnce([fresh.jobId]);
    const claimsOf = (jobId: string) => stack.fake.claims.filter((c) => c.jobId === jobId);
    expect(await eventually(async () => (claimsOf(gone).length > 0 ? claimsOf(gone) : undefined))).toEqual([
      { jobId: gone, attempt: 1, outcome: "finished" },
    ]);
    expect(claimsOf(done as string).map((c) => c.outcome)).toEqual(["claimed", "finished"]);
    // Nothing ran again: the finished job has its one result, the deleted one none.
    expect(stack.fake.callbacks.filter((c) => c.jobId === done)).toHaveLength(1);
    expect(stack.fake.callbacks.filter((c) => c.jobId === gone)).toHaveLength(0);
  });
});
