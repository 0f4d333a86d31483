import { afterAll, beforeAll } from "bun:test";
import { join } from "node:path";
import { loadConfig } from "@inference/config";
import { silentLogger } from "@inference/log";
import { createService, type Service } from "@inference/service";
import { freePort } from "@scripts/local-stack/ports";
import { repoRoot } from "@scripts/local-stack/settings";
import { sharedServices } from "@scripts/testing/shared-services";
import { STARTUP_TIMEOUT_MS, startTestWorker, type TestWorker } from "@scripts/testing/test-worker";

/**
 * The whole system for a test file: the real inference service with the shipped models and the
 * edge Worker in workerd, wired both ways (the Worker's push bridge calls the service; the
 * service claims jobs from and reports results to the Worker). Read `.worker` inside tests.
 */
export function useFullStack(options: { intraOpThreads: number }): { readonly worker: TestWorker } {
  let worker: TestWorker | undefined;
  let service: Service | undefined;
  let server: ReturnType<typeof Bun.serve> | undefined;

  beforeAll(async () => {
    const { secrets } = await sharedServices();
    const edgePort = await freePort();
    service = await createService(
      loadConfig({
        INFERENCE_MODELS_DIR: join(repoRoot, "inference", "models"),
        INFERENCE_API_TOKEN: secrets.inferenceApiToken,
        INFERENCE_EDGE_URL: `http://127.0.0.1:${edgePort}`,
        INFERENCE_CALLBACK_TOKEN: secrets.callbackToken,
        INFERENCE_INTRA_OP_THREADS: String(options.intraOpThreads),
      }),
      silentLogger,
    );
    await service.models.warmup();
    server = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: service.app.fetch });
    worker = await startTestWorker({
      port: edgePort,
      vars: { INFERENCE_URL: `http://127.0.0.1:${server.port}` },
    });
  }, STARTUP_TIMEOUT_MS);

  afterAll(async () => {
    await worker?.dispose();
    server?.stop(true);
    await service?.drain();
    await service?.close();
  });

  return {
    get worker() {
      if (!worker) throw new Error("the full stack has not started: use it inside a test");
      return worker;
    },
  };
}
