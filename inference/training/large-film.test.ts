/**
 * Issue #15 through the whole system: a large 16-bit film (LZW-compressed, tiled TIFF holding
 * detector counts, as digital detector software writes) is uploaded to the edge Worker (workerd)
 * with its pixel size, queued, pushed to the real inference service (onnxruntime, the shipped
 * model), detected in tiles, and comes back with sizes in millimetres in the API and the exports.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { ImageSchema } from "@edge/routes/images/schema";
import { JobSchema, QueuedJobsSchema } from "@edge/routes/jobs/schema";
import { freePort } from "@scripts/local-stack/ports";
import { signedInUser } from "@scripts/testing/auth-fixtures";
import { sharedServices } from "@scripts/testing/shared-services";
import { STARTUP_TIMEOUT_MS, startTestWorker, type TestWorker } from "@scripts/testing/test-worker";
import { strFromU8, unzipSync } from "fflate";
import { loadConfig } from "../src/config";
import { silentLogger } from "../src/log";
import { createService, type Service } from "../src/service";
import { iou } from "./eval/average-precision";
import { encodeTiff } from "./generator/png";
import { deriveSeed } from "./generator/prng";
import { renderSample } from "./generator/sample";

let worker: TestWorker;
let service: Service;
let server: ReturnType<typeof Bun.serve>;

beforeAll(async () => {
  const { secrets } = await sharedServices();
  const edgePort = await freePort();
  service = await createService(
    loadConfig({
      INFERENCE_MODELS_DIR: join(import.meta.dir, "..", "models"),
      INFERENCE_API_TOKEN: secrets.inferenceApiToken,
      INFERENCE_EDGE_URL: `http://127.0.0.1:${edgePort}`,
      INFERENCE_CALLBACK_TOKEN: secrets.callbackToken,
      INFERENCE_INTRA_OP_THREADS: "1",
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

const PIXEL_MM = 0.1;

describe("a large 16-bit film, full stack", () => {
  test("uploads, is detected in tiles, and reports sizes in mm in the API and the exports", async () => {
    const sample = renderSample(deriveSeed(15, "large-film", 0), { imgsz: 320, large: true });
    const { width, height } = sample.image;
    expect(width).toBeGreaterThanOrEqual(4000);
    const tiff = await encodeTiff(sample.image, 16, "detector");
    const { auth } = await signedInUser(worker);

    const uploaded = await worker.fetch(`/v1/images?pixelSizeMm=${PIXEL_MM}`, {
      method: "POST",
      headers: { Authorization: auth, "Content-Type": "image/tiff", "Content-Length": String(tiff.length) },
      body: tiff,
    });
    expect(uploaded.status).toBe(201);
    const image = ImageSchema.parse(await uploaded.json());
    expect(image).toMatchObject({ format: "tiff", bitDepth: 16, width, height });

    const created = await worker.fetch("/v1/jobs", {
      method: "POST",
      headers: { Authorization: auth, "Content-Type": "application/json" },
      body: JSON.stringify({ imageId: image.id }),
    });
    const jobId = QueuedJobsSchema.parse(await created.json()).jobs[0]?.id as string;
    const response = await worker.fetch(`/v1/jobs/${jobId}?wait=60`, { headers: { Authorization: auth } });
    const job = JobSchema.parse(await response.json());
    expect(job.status).toBe("succeeded");
    expect(job.params.tiling).toBe("auto");
    // Tiled at the model's resolution: far more than one model input, and the tiling was timed.
    expect(job.timings?.tiles).toBeGreaterThan(20);
    expect(job.timings?.tilingMs).toBeGreaterThan(0);

    const detections = job.detections ?? [];
    const found = sample.labels.filter((label) =>
      detections.some((d) => d.classId === label.classId && iou(d.box, label.box) >= 0.5),
    );
    expect(sample.labels.length).toBeGreaterThan(5);
    expect(found.length / sample.labels.length).toBeGreaterThanOrEqual(0.7);
    for (const d of detections) {
      expect(d.sizeMm?.width).toBeCloseTo((d.box.x2 - d.box.x1) * PIXEL_MM, 6);
      expect(d.sizeMm?.length).toBeCloseTo(Math.max(d.sizeMm?.width ?? 0, d.sizeMm?.height ?? 0), 9);
    }

    const coco = (await (
      await worker.fetch(`/v1/jobs/${jobId}/export?format=coco`, { headers: { Authorization: auth } })
    ).json()) as {
      images: Array<{ width: number; height: number; pixel_size_mm: { x: number } }>;
      annotations: Array<{ bbox: number[]; size_mm: { width: number; area: number } }>;
    };
    expect(coco.images[0]).toMatchObject({ width, height, pixel_size_mm: { x: PIXEL_MM } });
    expect(coco.annotations).toHaveLength(detections.length);
    for (const a of coco.annotations) {
      expect(a.size_mm.width).toBeCloseTo((a.bbox[2] as number) * PIXEL_MM, 6);
      expect(a.size_mm.area).toBeCloseTo((a.bbox[2] as number) * (a.bbox[3] as number) * PIXEL_MM ** 2, 6);
    }
    const zip = await worker.fetch("/v1/exports", {
      method: "POST",
      headers: { Authorization: auth, "Content-Type": "application/json" },
      body: JSON.stringify({ jobIds: [jobId], format: "yolo" }),
    });
    const files = unzipSync(new Uint8Array(await zip.arrayBuffer()));
    const rows = strFromU8(files["measurements.csv"] as Uint8Array)
      .trim()
      .split("\n");
    expect(rows).toHaveLength(detections.length + 1);
  }, 180_000);
});
