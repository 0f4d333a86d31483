/**
 * The production job path, end to end on local parts: the Worker (its dev entry forwards `detect`
 * to the local Cloudflare Queues API) → the real inference service's HTTP pull consumer → claim →
 * shipped model → result callback → export; and a message whose retries are spent reaching the
 * Worker's `detect-dlq` consumer through the local API's dead-letter queue.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { encodePng } from "@generator/png";
import { deriveSeed } from "@generator/prng";
import { renderSample } from "@generator/sample";
import { loadConfig } from "@inference/config";
import { silentLogger } from "@inference/log";
import { createService, type Service } from "@inference/service";
import { freePort } from "@scripts/local-stack/ports";
import { deadLettersToWorker, devQueueProducers, devWorkerEntry } from "@scripts/local-stack/queue-consumers";
import { type LocalQueuesApi, startLocalQueuesApi } from "@scripts/local-stack/queues-api";
import { repoRoot } from "@scripts/local-stack/settings";
import { signedInUser } from "@scripts/testing/auth-fixtures";
import {
  arrangeJob,
  eventually,
  failedResult,
  jobRow,
  postResult,
  uploadAndDetect,
} from "@scripts/testing/job-fixtures";
import { sharedServices } from "@scripts/testing/shared-services";
import { STARTUP_TIMEOUT_MS, startTestWorker, type TestWorker } from "@scripts/testing/test-worker";

const ACCOUNT = "local";
const TOKEN = crypto.randomUUID();
const MAX_RETRIES = 1;

let worker: TestWorker;
let queues: LocalQueuesApi;
let service: Service;
let server: ReturnType<typeof Bun.serve>;

beforeAll(async () => {
  const { secrets } = await sharedServices();
  const edgePort = await freePort();
  const edgeUrl = `http://127.0.0.1:${edgePort}`;
  queues = startLocalQueuesApi({
    port: await freePort(),
    accountId: ACCOUNT,
    apiToken: TOKEN,
    queues: {
      detect: {
        maxRetries: MAX_RETRIES,
        deadLetter: deadLettersToWorker(edgeUrl, TOKEN),
      },
    },
  });
  worker = await startTestWorker({
    entry: devWorkerEntry,
    port: edgePort,
    queueProducers: devQueueProducers,
    vars: { LOCAL_QUEUES_API: queues.apiBase, LOCAL_QUEUES_ACCOUNT: ACCOUNT, LOCAL_QUEUES_TOKEN: TOKEN },
  });
  service = await createService(
    loadConfig({
      INFERENCE_MODELS_DIR: join(repoRoot, "inference", "models"),
      INFERENCE_EDGE_URL: edgeUrl,
      INFERENCE_CALLBACK_TOKEN: secrets.callbackToken,
      INFERENCE_CF_API_BASE: queues.apiBase,
      INFERENCE_CF_ACCOUNT_ID: ACCOUNT,
      INFERENCE_CF_QUEUE_ID: "detect",
      INFERENCE_CF_API_TOKEN: TOKEN,
      INFERENCE_PULL_IDLE_MS: "20",
      INFERENCE_DETECT_RETRY_BASE_DELAY_SECONDS: "0",
      INFERENCE_VISIBILITY_TIMEOUT_MS: "30000",
    }),
    silentLogger,
  );
  await service.models.warmup();
  server = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: service.app.fetch });
  service.start();
}, STARTUP_TIMEOUT_MS);

afterAll(async () => {
  await service?.drain();
  server?.stop(true);
  await service?.close();
  await worker?.dispose();
  await queues?.stop();
});

describe("production path on local parts (pull consumer)", () => {
  test("upload → job → queue → pull → claim → model → result → export", async () => {
    const { auth } = await signedInUser(worker);
    const sample = renderSample(deriveSeed(11, "pull-path", 0), { imgsz: 320 });
    const jobId = await uploadAndDetect(worker, auth, await encodePng(sample.image, 8));

    const job = (await (
      await worker.fetch(`/v1/jobs/${jobId}?wait=60`, { headers: { Authorization: auth } })
    ).json()) as {
      status: string;
      attempts: number;
      model: { sha256: string | null };
      detections: unknown[];
    };
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
    const exported = (await coco.json()) as { annotations: unknown[]; images: Array<{ id: unknown }> };
    expect(exported.images).toHaveLength(1);
    expect(exported.annotations).toHaveLength(job.detections.length);
  }, 90_000);

  test("a message whose retries are spent reaches the Worker's dead-letter consumer, which fails the job", async () => {
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
