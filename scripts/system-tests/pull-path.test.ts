/**
 * The production job path, end to end on local parts: the Worker (its dev entry sends `detect`
 * to the local Cloudflare Queues API) → the real inference service's HTTP pull consumer → claim →
 * shipped model → result callback → export; and a message whose retries are spent reaching the
 * Worker's `detect-dlq` consumer through the local API's dead-letter queue.
 */
import { describe, expect, test } from "bun:test";
import { JobSchema } from "@edge/routes/jobs/schema";
import { encodePng } from "@generator/png";
import { deriveSeed } from "@generator/prng";
import { renderSample } from "@generator/sample";
import { signedInUser } from "@scripts/testing/auth-fixtures";
import { CocoExportSchema } from "@scripts/testing/coco-export";
import {
  arrangeJob,
  eventually,
  failedResult,
  jobRow,
  postResult,
  uploadAndDetect,
} from "@scripts/testing/job-fixtures";
import { readBody } from "@scripts/testing/responses";
import { useFullStack } from "./full-stack-fixture";

const stack = useFullStack({ intraOpThreads: 1, detectMaxRetries: 1 });

describe("production path on local parts (pull consumer)", () => {
  test("upload → job → queue → pull → claim → model → result → export", async () => {
    const { worker } = stack;
    const queues = worker.detectQueue.api;
    const { auth } = await signedInUser(worker);
    const sample = renderSample(deriveSeed(11, "pull-path", 0), { imgsz: 320 });
    const jobId = await uploadAndDetect(worker, auth, await encodePng(sample.image, 8));

    const job = await readBody(
      await worker.fetch(`/v1/jobs/${jobId}?wait=60`, { headers: { Authorization: auth } }),
      JobSchema,
    );
    expect(job.status).toBe("succeeded");
    expect(job.model.sha256).toMatch(/^[0-9a-f]{64}$/);
    // Claimed once (running, attempt counted), then finished; the message was acked.
    const row = await jobRow(worker, jobId);
    expect(row?.attempts).toBe(1);
    expect(row?.startedAt).toBeInstanceOf(Date);
    await eventually(async () => (queues.stats("detect").acked >= 1 ? true : undefined));
    expect(queues.stats("detect")).toMatchObject({ backlog: 0, leased: 0, deadLettered: 0 });

    const coco = await worker.fetch(`/v1/jobs/${jobId}/export?format=coco`, {
      headers: { Authorization: auth },
    });
    expect(coco.status).toBe(200);
    const exported = await readBody(coco, CocoExportSchema);
    expect(exported.images).toHaveLength(1);
    expect(exported.annotations).toHaveLength(job.detections?.length ?? -1);
  }, 90_000);

  test("a message whose retries are spent reaches the Worker's dead-letter consumer, which fails the job", async () => {
    const { worker } = stack;
    const queues = worker.detectQueue.api;
    // A job the inference service already reported a retryable failure for...
    const { jobId } = await arrangeJob(worker);
    await postResult(worker, jobId, failedResult(jobId, false));
    // ...then a message for it that no consumer can read: every delivery is retried until spent.
    queues.send("detect", [{ body: { version: 99, jobId } }]);
    const failed = await eventually(
      async () => {
        const row = await jobRow(worker, jobId);
        return row?.status === "failed" ? row : undefined;
      },
      30_000,
      "job failed by the dead-letter consumer",
    );
    expect(failed.error).toContain("dead_lettered");
    expect(failed.error).toContain("image_fetch_failed: connection reset");
    expect(queues.stats("detect").deadLettered).toBe(1);
  }, 60_000);
});
