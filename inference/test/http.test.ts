import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { SharedErrorCode } from "@common/errors";
import { TRANSFER_SYNTAX_UIDS, writeDiconde } from "@generator/diconde";
import { FakeEdge } from "@scripts/testing/fakes/edge";
import { readBody } from "@scripts/testing/responses";
import { z } from "zod";
import { loadConfig } from "../src/config";
import { ErrorBodySchema } from "../src/http/errors";
import { DetectResponseSchema } from "../src/http/routes/detect";
import { ModelsSchema } from "../src/http/routes/ops";
import { silentLogger } from "../src/log";
import { createService, type Service } from "../src/service";
import { FIXTURE_MODELS_DIR, gifImage, solidImage } from "./fixtures";

/** `/ready`'s answer; the route builds it by hand, without a schema of its own. */
const ReadySchema = z.object({
  status: z.enum(["ready", "not_ready"]),
  shuttingDown: z.boolean(),
  models: z.array(z.string()),
  failedModels: z.array(z.object({ file: z.string(), code: z.string(), message: z.string() })),
});

const TOKEN = "service-test-token";
const edge = new FakeEdge();
let service: Service;
let white: Buffer;

beforeAll(async () => {
  edge.start();
  const config = loadConfig({
    INFERENCE_MODELS_DIR: FIXTURE_MODELS_DIR,
    INFERENCE_DEFAULT_MODEL: "v8-dynamic",
    INFERENCE_INTRA_OP_THREADS: "1",
    INFERENCE_API_TOKEN: TOKEN,
    INFERENCE_EDGE_URL: edge.url,
    INFERENCE_CALLBACK_TOKEN: edge.token,
    INFERENCE_MAX_IMAGE_BYTES: "100000",
    INFERENCE_MAX_IMAGE_PIXELS: "1000000",
  });
  service = await createService(config, silentLogger);
  white = await solidImage(128, 128, [255, 255, 255]);
});

afterAll(async () => {
  await service.drain();
  await service.close();
  await edge.stop();
});

const auth = { authorization: `Bearer ${TOKEN}` };
const detect = (query: string, body: BodyInit | null, headers: Record<string, string> = auth) =>
  service.app.request(`/v1/detect${query}`, { method: "POST", body, headers });

describe("ops endpoints", () => {
  test("health is live at once; ready only after warm-up", async () => {
    expect((await service.app.request("/health")).status).toBe(200);
    const before = await service.app.request("/ready");
    expect(before.status).toBe(503);
    await service.models.warmup();
    const after = await service.app.request("/ready");
    expect(after.status).toBe(200);
    const body = await readBody(after, ReadySchema);
    expect(body.models.sort()).toEqual(["end2end", "v8", "v8-dynamic", "yolov5"]);
    expect(body.failedModels).toEqual([
      expect.objectContaining({ file: "classifier.onnx", code: "model_layout_unknown" }),
    ]);
  });

  test("/v1/models describes each served model", async () => {
    const { models } = await readBody(await service.app.request("/v1/models"), ModelsSchema);
    expect(models.find((m) => m.name === "v8-dynamic")).toMatchObject({
      classes: ["porosity", "crack"],
      inputSize: { width: 64, height: 64 },
      layout: "ultralytics",
      dynamicBatch: true,
      default: true,
    });
    expect(models.find((m) => m.name === "yolov5")).toMatchObject({ layout: "yolov5", default: false });
  });

  test("/metrics is Prometheus text", async () => {
    const response = await service.app.request("/metrics");
    expect(response.headers.get("content-type")).toContain("text/plain");
    expect(await response.text()).toContain("# TYPE inference_stage_seconds histogram");
  });

  test("unknown routes get the standard error body", async () => {
    const response = await service.app.request("/nope", { headers: { "x-request-id": "req-1" } });
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({
      error: { code: "not_found", message: "no route for GET /nope", requestId: "req-1" },
    });
  });
});

describe("POST /v1/detect", () => {
  test("detects with the default model and query parameters", async () => {
    const response = await detect("?conf=0.5&classes=0", white);
    expect(response.status).toBe(200);
    const body = await readBody(response, DetectResponseSchema);
    expect(body.model).toMatchObject({ name: "v8-dynamic", version: "fixture-1" });
    expect(body.image).toEqual({ width: 128, height: 128 });
    expect(body.detections.map((d) => d.label)).toEqual(["porosity", "porosity"]);
  });

  test("tiles on request: tiling=<size> with overlap and a whole-image pass, counted in timings", async () => {
    const response = await detect("?tiling=64&overlap=0&wholeImage=true", white);
    expect(response.status).toBe(200);
    const body = await readBody(response, DetectResponseSchema);
    // 128 × 128 in 64-px tiles without overlap: four tiles and the whole image.
    expect(body.timings.tiles).toBe(5);
    const untiled = await readBody(await detect("?tiling=off", white), DetectResponseSchema);
    expect(untiled.timings.tiles).toBe(1);
  });

  test("DICONDE files are detected like other images, alike in every decoded transfer syntax", async () => {
    const values = Uint16Array.from({ length: 128 * 96 }, (_, i) => (i * 31) % 4096);
    const found: unknown[] = [];
    for (const transferSyntax of Object.values(TRANSFER_SYNTAX_UIDS)) {
      const film = writeDiconde({
        width: 128,
        height: 96,
        values,
        bitsAllocated: 16,
        bitsStored: 12,
        transferSyntax,
      });
      const response = await detect("?conf=0.01", film);
      expect([transferSyntax, response.status]).toEqual([transferSyntax, 200]);
      const body = await readBody(response, DetectResponseSchema);
      expect(body.image).toEqual({ width: 128, height: 96 });
      found.push(body.detections);
    }
    expect(new Set(found.map((d) => JSON.stringify(d))).size).toBe(1);
  });

  test("names a model explicitly", async () => {
    const body = await readBody(await detect("?model=yolov5", white), DetectResponseSchema);
    expect(body.detections[0]?.label).toBe("slag");
  });

  test("without or with a wrong token: 401 with WWW-Authenticate", async () => {
    const attempts: Array<Record<string, string>> = [
      {},
      { authorization: "Bearer wrong" },
      { authorization: TOKEN },
    ];
    for (const headers of attempts) {
      const response = await detect("", white, headers);
      expect(response.status).toBe(401);
      expect(response.headers.get("www-authenticate")).toContain("Bearer");
      expect((await readBody(response, ErrorBodySchema)).error.code).toBe("unauthorized");
    }
  });

  test("bad input gets a 4xx with a stable code", async () => {
    const cases: Array<[string, BodyInit | null, number, SharedErrorCode]> = [
      ["?conf=2", white, 400, "validation_failed"],
      ["?classes=a,b", white, 400, "validation_failed"],
      ["?tiling=sometimes", white, 400, "validation_failed"],
      ["?tiling=16", white, 400, "validation_failed"],
      ["?tiling=64&overlap=0.9", white, 400, "validation_failed"],
      ["?tiling=auto&overlap=0.1", white, 400, "validation_failed"],
      ["", null, 400, "empty_body"],
      ["?model=missing", white, 404, "model_not_found"],
      ["", "not an image at all", 400, "image_corrupt"],
      ["", new Uint8Array(200_000), 413, "payload_too_large"],
      ["", await solidImage(1200, 1000, [0, 0, 0]), 422, "image_too_many_pixels"],
      ["", await gifImage(), 415, "unsupported_image_type"],
      [
        "",
        writeDiconde({
          width: 16,
          height: 16,
          values: new Uint16Array(256),
          bitsAllocated: 16,
          transferSyntax: "1.2.840.10008.1.2.4.90",
          encapsulatedFrame: new Uint8Array(64),
        }),
        415,
        "unsupported_transfer_syntax",
      ],
    ];
    for (const [query, body, status, code] of cases) {
      const response = await detect(query, body);
      const json = await readBody(response, ErrorBodySchema);
      expect([query, response.status, json.error.code]).toEqual([query, status, code]);
      expect(json.error.requestId).toBeString();
    }
    const metrics = await service.metrics.registry.metrics();
    expect(metrics).toMatch(/inference_errors_total\{code="image_corrupt"\} 1/);
    expect(metrics).toMatch(/inference_stage_seconds_count\{stage="run"\} [1-9]/);
  });
});
