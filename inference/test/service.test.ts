import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { loadConfig } from "../src/config";
import { silentLogger } from "../src/log";
import { createService, type Service } from "../src/service";
import { pullServiceEnv, solidImage } from "./fixtures";
import { detectMessage, FakeEdge, waitFor } from "./fixtures/fake-edge";
import { FakeQueues } from "./fixtures/fake-queues";

// The whole queue path in process: fake Cloudflare pull API → processor → real onnxruntime →
// result callback on a fake edge → ack.

const edge = new FakeEdge();
const queues = new FakeQueues();
let service: Service;

beforeAll(async () => {
  edge.start();
  const apiBase = queues.start();
  const config = loadConfig({
    ...pullServiceEnv(edge, queues, apiBase),
    INFERENCE_PULL_IDLE_MS: "10",
    INFERENCE_CALLBACK_BASE_DELAY_MS: "1",
    INFERENCE_CALLBACK_MAX_DELAY_MS: "5",
    INFERENCE_CALLBACK_ATTEMPTS: "3",
    INFERENCE_RETRY_BASE_DELAY_S: "30",
  });
  service = await createService(config, silentLogger);
  await service.models.warmup();
  service.start();
});

afterAll(async () => {
  await service.drain();
  await service.close();
  await Promise.all([edge.stop(), queues.stop()]);
});

/** Sends a message and waits until its lease is settled (acked or retried). */
async function settle(message: ReturnType<typeof detectMessage>) {
  const id = queues.send(message);
  await waitFor(
    () =>
      queues.acked.includes(id) ||
      queues.ackCalls.some((call) =>
        call.retries.some((r) => queues.deliveries.find((d) => d.leaseId === r.lease_id)?.id === id),
      ),
    `message ${id} settled`,
  );
  return {
    acked: queues.acked.includes(id),
    callbacks: edge.callbacks.filter((c) => c.jobId === message.jobId),
  };
}

describe("queue path", () => {
  test("detects, reports a succeeded result in the message's trace, then acks", async () => {
    const image = edge.addImage("white.png", await solidImage(128, 128, [255, 255, 255]));
    const message = detectMessage(image, { width: 128, height: 128 });
    const { acked, callbacks } = await settle(message);
    expect(acked).toBe(true);
    expect(callbacks).toHaveLength(1);
    const [callback] = callbacks;
    expect(callback?.authorization).toBe(`Bearer ${edge.token}`);
    const [, traceId, spanId] = callback?.traceparent?.split("-") ?? [];
    expect(traceId).toBe("4bf92f3577b34da6a3ce929d0e0e4736");
    expect(spanId).not.toBe("00f067aa0ba902b7");
    expect(callback?.body).toMatchObject({
      version: 1,
      jobId: message.jobId,
      status: "succeeded",
      attempt: 1,
      model: { name: "v8-dynamic", version: "fixture-1" },
      image: { width: 128, height: 128 },
    });
    const detections = callback?.body.detections as Array<{ label: string; box: unknown }>;
    expect(detections[0]).toMatchObject({ label: "porosity", box: { x1: 44, y1: 54, x2: 84, y2: 74 } });
  });

  test("an undecodable image is a permanent failure: reported, then acked", async () => {
    const image = edge.addImage("broken.png", new TextEncoder().encode("definitely not a png"));
    const { acked, callbacks } = await settle(detectMessage(image));
    expect(acked).toBe(true);
    expect(callbacks.map((c) => c.body)).toEqual([
      expect.objectContaining({
        status: "failed",
        error: expect.objectContaining({ code: "image_undecodable", permanent: true }),
        model: expect.objectContaining({ name: "v8-dynamic" }),
      }),
    ]);
  });

  test("an unknown model is a permanent failure without model identity", async () => {
    const image = edge.addImage("white2.png", await solidImage(64, 64, [255, 255, 255]));
    const { acked, callbacks } = await settle(detectMessage(image, { model: "no-such-model" }));
    expect(acked).toBe(true);
    expect(callbacks[0]?.body.error).toMatchObject({ code: "model_not_found", permanent: true });
    expect(callbacks[0]?.body.model).toBeUndefined();
  });

  test("an expired signed URL (403) is retryable: reported as not permanent, message retried", async () => {
    const image = edge.addImage("expired.png", await solidImage(64, 64, [0, 0, 0]), { status: 403 });
    const { acked, callbacks } = await settle(detectMessage(image));
    expect(acked).toBe(false);
    expect(callbacks[0]?.body.error).toMatchObject({ code: "image_fetch_failed", permanent: false });
  });

  test("a transient edge failure on the callback is retried before acking", async () => {
    const image = edge.addImage("white3.png", await solidImage(64, 64, [255, 255, 255]));
    edge.failCallbacks = [503, 502];
    const { acked, callbacks } = await settle(detectMessage(image));
    expect(acked).toBe(true);
    expect(callbacks).toHaveLength(1);
  });

  test("when the edge never accepts the result, the message is not acked", async () => {
    const image = edge.addImage("white4.png", await solidImage(64, 64, [255, 255, 255]));
    edge.callbackStatus = 500;
    try {
      const { acked } = await settle(detectMessage(image));
      expect(acked).toBe(false);
    } finally {
      edge.callbackStatus = null;
    }
  });

  test("a changed image (sha256 mismatch) is not processed", async () => {
    const image = edge.addImage("swapped.png", await solidImage(64, 64, [255, 255, 255]));
    const { acked, callbacks } = await settle(detectMessage({ url: image.url, sha256: "a".repeat(64) }));
    expect(acked).toBe(false);
    expect(callbacks[0]?.body.error).toMatchObject({ code: "image_checksum_mismatch" });
  });

  test("metrics count the outcomes and stages", async () => {
    const text = await service.metrics.registry.metrics();
    expect(text).toMatch(/inference_jobs_total\{source="pull",outcome="succeeded"\} [1-9]/);
    expect(text).toMatch(/inference_jobs_total\{source="pull",outcome="failed_permanent"\} [1-9]/);
    expect(text).toContain('inference_stage_seconds_count{stage="callback"}');
    expect(text).toMatch(/inference_batch_size_count\{model="v8-dynamic"\} [1-9]/);
    expect(text).toMatch(/inference_errors_total\{code="image_undecodable"\} [1-9]/);
  });
});
