/**
 * The shipped model through the whole system: generated films are uploaded to the edge Worker
 * (workerd), queued, pushed to the real inference service (onnxruntime), and the results the edge
 * stored are compared with the labels the generator drew.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { freePort } from "@scripts/local-stack/ports";
import { signedInUser } from "@scripts/testing/auth-fixtures";
import { uploadAndDetect } from "@scripts/testing/job-fixtures";
import { sharedServices } from "@scripts/testing/shared-services";
import { STARTUP_TIMEOUT_MS, startTestWorker, type TestWorker } from "@scripts/testing/test-worker";
import { loadConfig } from "../src/config";
import { silentLogger } from "../src/log";
import { createService, type Service } from "../src/service";
import { iou } from "./eval/average-precision";
import { encodePng } from "./generator/png";
import { deriveSeed } from "./generator/prng";
import { renderSample } from "./generator/sample";

let worker: TestWorker;
let service: Service;
let server: ReturnType<typeof Bun.serve>;

beforeAll(async () => {
  const { secrets } = await sharedServices();
  const edgePort = await freePort();
  const edgeUrl = `http://127.0.0.1:${edgePort}`;
  service = await createService(
    loadConfig({
      INFERENCE_MODELS_DIR: join(import.meta.dir, "..", "models"),
      INFERENCE_API_TOKEN: secrets.inferenceApiToken,
      INFERENCE_EDGE_URL: edgeUrl,
      INFERENCE_CALLBACK_TOKEN: secrets.callbackToken,
      INFERENCE_INTRA_OP_THREADS: "2",
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

describe("default model, full stack (edge → queue → inference → result)", () => {
  test("finds most of the labelled defects on generated films", async () => {
    const { auth } = await signedInUser(worker);
    const samples = Array.from({ length: 4 }, (_, i) =>
      renderSample(deriveSeed(77, "full-stack", i), { imgsz: 320 }),
    );
    const jobIds: string[] = [];
    for (const sample of samples) {
      jobIds.push(await uploadAndDetect(worker, auth, await encodePng(sample.image, 8)));
    }

    let labelled = 0;
    let found = 0;
    for (const [k, jobId] of jobIds.entries()) {
      const response = await worker.fetch(`/v1/jobs/${jobId}?wait=60`, { headers: { Authorization: auth } });
      const job = (await response.json()) as {
        status: string;
        model: { version: string | null; sha256: string | null };
        detections: Array<{ classId: number; box: { x1: number; y1: number; x2: number; y2: number } }>;
      };
      expect(job.status).toBe("succeeded");
      expect(job.model.sha256).toMatch(/^[0-9a-f]{64}$/);
      for (const label of samples[k]?.labels ?? []) {
        labelled++;
        if (job.detections.some((d) => d.classId === label.classId && iou(d.box, label.box) >= 0.5)) found++;
      }
    }
    expect(labelled).toBeGreaterThan(3);
    expect(found / labelled).toBeGreaterThanOrEqual(0.7);
  }, 120_000);
});
