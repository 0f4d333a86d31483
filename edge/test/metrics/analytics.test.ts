import { describe, expect, test } from "bun:test";
import { jobs } from "@db/schema";
import { UNMATCHED_ROUTE } from "@edge/metrics/request-metrics";
import { arrangeJob, eventually, postResult, succeededResult } from "@scripts/testing/job-fixtures";
import {
  RECORDING_METRICS_ENTRY,
  type RecordedPoint,
  takeDataPoints,
} from "@scripts/testing/recorded-metrics";
import { startTestWorker, useTestWorker } from "@scripts/testing/test-worker";
import { eq } from "drizzle-orm";

// What the Worker writes to Workers Analytics Engine. Miniflare's local dataset drops writes, so
// this Worker runs the test entry with a recording dataset (recording-metrics-entry.ts).

const worker = useTestWorker({
  entry: RECORDING_METRICS_ENTRY,
  queueConsumers: { "detect-dlq": { max_batch_timeout: 0.2 } },
});

const requests = (points: RecordedPoint[]) => points.filter((point) => point.blobs?.[0] === "request");
const jobPoints = (points: RecordedPoint[]) => points.filter((point) => point.blobs?.[0] === "job");

describe("request data points", () => {
  test("one per request: route pattern, method, status class; status and duration as numbers", async () => {
    await takeDataPoints(worker.current);
    expect((await worker.current.fetch("/health")).status).toBe(200);
    const [point, ...more] = requests(await takeDataPoints(worker.current));
    expect(more).toEqual([]);
    expect(point?.indexes).toEqual(["/health"]);
    expect(point?.blobs).toEqual(["request", "GET", "/health", "2xx"]);
    expect(point?.doubles?.[0]).toBe(200);
    expect(point?.doubles?.[1]).toBeGreaterThanOrEqual(0);
    // Unsampled (METRICS_REQUEST_SAMPLE_EVERY 1): each point stands for one request.
    expect(point?.doubles?.[2]).toBe(1);
  });

  test("a request refused before its handler is counted under the route it asked for, never its raw path", async () => {
    const jobId = crypto.randomUUID();
    const response = await worker.current.fetch(`/v1/jobs/${jobId}`);
    expect(response.status).toBe(401);
    const points = requests(await takeDataPoints(worker.current));
    expect(points.map((point) => point.blobs)).toEqual([["request", "GET", "/v1/jobs/:id", "4xx"]]);
    expect(points[0]?.doubles?.[0]).toBe(401);
    expect(JSON.stringify(points)).not.toContain(jobId);
  });

  test("paths no route matches share one label", async () => {
    expect((await worker.current.fetch("/wp-admin/setup.php?x=1")).status).toBe(404);
    const points = requests(await takeDataPoints(worker.current));
    expect(points.map((point) => point.blobs)).toEqual([["request", "GET", UNMATCHED_ROUTE, "4xx"]]);
    expect(points[0]?.indexes).toEqual([UNMATCHED_ROUTE]);
  });
});

describe("job data points", () => {
  test("a result that finishes a job writes its outcome once; a duplicate writes none", async () => {
    const { jobId } = await arrangeJob(worker.current);
    await takeDataPoints(worker.current);
    expect(
      await (await postResult(worker.current, jobId, succeededResult(jobId, { attempt: 2 }))).json(),
    ).toEqual({
      outcome: "applied",
    });
    expect(await (await postResult(worker.current, jobId, succeededResult(jobId))).json()).toEqual({
      outcome: "duplicate",
    });
    const points = await takeDataPoints(worker.current);
    const [job, ...more] = jobPoints(points);
    expect(more).toEqual([]);
    expect(job?.indexes).toEqual(["weld-defects"]);
    expect(job?.blobs).toEqual(["job", "succeeded", "weld-defects", "result"]);
    expect(job?.doubles?.[0]).toBe(2);
    expect(job?.doubles?.[1]).toBeGreaterThanOrEqual(0);
    expect(job?.doubles?.[2]).toBe(2);
    // The callback's own latency is its request point.
    expect(requests(points).map((point) => point.blobs?.[2])).toEqual([
      "/internal/v1/jobs/:jobId/result",
      "/internal/v1/jobs/:jobId/result",
    ]);
  });

  test("a dead-lettered job writes a failed outcome ended by dead letter", async () => {
    const { jobId } = await arrangeJob(worker.current);
    await worker.current.db
      .update(jobs)
      .set({ status: "running", attempts: 6, error: "image_fetch_failed: connection reset" })
      .where(eq(jobs.id, jobId));
    await takeDataPoints(worker.current);
    const dlq = await worker.current.mf.getQueueProducer("DETECT_DLQ");
    await dlq.send({ jobId });
    const job = await eventually(async () => {
      const found = jobPoints(await takeDataPoints(worker.current));
      return found.length > 0 ? found : undefined;
    });
    expect(job.map((point) => point.blobs)).toEqual([["job", "failed", "weld-defects", "dead_letter"]]);
    expect(job[0]?.doubles?.[0]).toBe(6);
    expect(job[0]?.doubles?.[2]).toBe(0);
  });
});

describe("sampling", () => {
  test("1 in METRICS_REQUEST_SAMPLE_EVERY requests is written; job outcomes always are", async () => {
    // One in a billion: 20 requests write none (a chance of 2e-8 otherwise).
    const sampled = await startTestWorker({
      entry: RECORDING_METRICS_ENTRY,
      vars: { METRICS_REQUEST_SAMPLE_EVERY: "1000000000" },
    });
    try {
      for (let i = 0; i < 20; i++) expect((await sampled.fetch("/health")).status).toBe(200);
      const { jobId } = await arrangeJob(sampled);
      expect((await postResult(sampled, jobId, succeededResult(jobId))).status).toBe(200);
      const points = await takeDataPoints(sampled);
      expect(requests(points)).toEqual([]);
      expect(jobPoints(points).map((point) => point.blobs?.[1])).toEqual(["succeeded"]);
    } finally {
      await sampled.dispose();
    }
  });
});
