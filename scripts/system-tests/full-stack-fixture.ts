import { afterAll, beforeAll } from "bun:test";
import { join } from "node:path";
import { loadConfig } from "@inference/config";
import { silentLogger } from "@inference/log";
import { createService, type Service } from "@inference/service";
import { repoRoot } from "@scripts/local-stack/settings";
import { sharedServices } from "@scripts/testing/shared-services";
import { STARTUP_TIMEOUT_MS, startTestWorker, type TestWorker } from "@scripts/testing/test-worker";

export type FullStackOptions = {
  intraOpThreads: number;
  /** Deliveries of a `detect` message after the first before it is dead-lettered (default: production's). */
  detectMaxRetries?: number;
};

/**
 * The whole system for a test file, on the road production takes: the edge Worker in workerd
 * (its dev entry forwards `detect` to the local Cloudflare Queues API), and the real inference
 * service with the shipped models, whose HTTP pull consumer leases from that API, claims each job
 * from the Worker and posts the result back. Read `.worker` and `.service` inside tests.
 */
export function useFullStack(options: FullStackOptions): {
  readonly worker: TestWorker;
  readonly service: Service;
} {
  let worker: TestWorker | undefined;
  let service: Service | undefined;

  beforeAll(async () => {
    const { secrets } = await sharedServices();
    // Images are read by presigned URL from the local stand-in of R2's S3 API, as in production.
    worker = await startTestWorker({
      r2S3: true,
      // Whole-system tests check results, not admission (edge/test/jobs/admission.test.ts does):
      // with a trainer beside inference on a busy 2-core machine a strip takes seconds, and the
      // default 6 s wait budget refused their batches of a few films.
      vars: { ADMISSION_MAX_WAIT_SECONDS: "600" },
      ...(options.detectMaxRetries === undefined ? {} : { detectMaxRetries: options.detectMaxRetries }),
    });
    service = await createService(
      loadConfig({
        INFERENCE_MODELS_DIR: join(repoRoot, "inference", "models"),
        INFERENCE_EDGE_URL: worker.origin,
        INFERENCE_CALLBACK_TOKEN: secrets.callbackToken,
        INFERENCE_INTRA_OP_THREADS: String(options.intraOpThreads),
        ...worker.detectQueue.inferenceEnv,
        INFERENCE_PULL_IDLE_MS: "20",
        INFERENCE_DETECT_RETRY_BASE_DELAY_SECONDS: "0",
      }),
      silentLogger,
    );
    await service.models.warmup();
    service.start();
  }, STARTUP_TIMEOUT_MS);

  afterAll(async () => {
    await service?.drain();
    await service?.close();
    await worker?.dispose();
  });

  const started = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error("the full stack has not started: use it inside a test");
    return value;
  };
  return {
    get worker() {
      return started(worker);
    },
    get service() {
      return started(service);
    },
  };
}
