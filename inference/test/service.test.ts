import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { FakeQueues } from "@scripts/testing/fakes/cloudflare-queues";
import { detectMessage, FakeEdge, type RecordedCallback, waitFor } from "@scripts/testing/fakes/edge";
import { loadConfig } from "../src/config";
import { EdgeClient } from "../src/core/edge-client";
import { silentLogger } from "../src/log";
import { createService, type Service } from "../src/service";
import { pullServiceEnv, solidImage } from "./fixtures";

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
    INFERENCE_DETECT_RETRY_BASE_DELAY_SECONDS: "30",
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
async function settle(message: ReturnType<typeof detectMessage>, options: { attempts?: number } = {}) {
  const id = queues.send(message, options);
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
    claims: edge.claims.filter((c) => c.jobId === message.jobId),
  };
}

/** The failure a callback reported (the test fails if it reported a success). */
function failureOf(callback: RecordedCallback | undefined) {
  const body = callback?.body;
  if (body?.status !== "failed") throw new Error(`expected a failed result, got ${JSON.stringify(body)}`);
  return body;
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
    if (callback?.body.status !== "succeeded") throw new Error("expected a succeeded result");
    expect(callback.body.detections[0]).toMatchObject({
      label: "porosity",
      box: { x1: 44, y1: 54, x2: 84, y2: 74 },
    });
  });

  test("an undecodable image is a permanent failure: reported, then acked", async () => {
    const image = edge.addImage("broken.png", new TextEncoder().encode("definitely not a png"));
    const { acked, callbacks } = await settle(detectMessage(image));
    expect(acked).toBe(true);
    expect(callbacks.map((c) => c.body)).toEqual([
      expect.objectContaining({
        status: "failed",
        error: expect.objectContaining({ code: "image_corrupt", permanent: true }),
        model: expect.objectContaining({ name: "v8-dynamic" }),
      }),
    ]);
  });

  test("an unknown model is a permanent failure without model identity", async () => {
    const image = edge.addImage("white2.png", await solidImage(64, 64, [255, 255, 255]));
    const { acked, callbacks } = await settle(detectMessage(image, { model: "no-such-model" }));
    expect(acked).toBe(true);
    const failure = failureOf(callbacks[0]);
    expect(failure.error).toMatchObject({ code: "model_not_found", permanent: true });
    expect(failure.model).toBeUndefined();
  });

  test("an image URL refused (403) even as just claimed is retryable: reported as not permanent, message retried", async () => {
    const image = edge.addImage("expired.png", await solidImage(64, 64, [0, 0, 0]), { status: 403 });
    const { acked, callbacks } = await settle(detectMessage(image));
    expect(acked).toBe(false);
    expect(failureOf(callbacks[0]).error).toMatchObject({ code: "image_fetch_failed", permanent: false });
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
    expect(failureOf(callbacks[0]).error).toMatchObject({ code: "image_checksum_mismatch" });
  });

  test("the claim carries the delivery attempt and the message's trace; the result the same", async () => {
    const image = edge.addImage("claim-attempt.png", await solidImage(64, 64, [255, 255, 255]));
    const message = detectMessage(image);
    const { acked, claims, callbacks } = await settle(message, { attempts: 2 });
    expect(acked).toBe(true);
    expect(claims).toHaveLength(1);
    const [claim] = claims;
    expect(claim).toMatchObject({
      status: 200,
      authorization: `Bearer ${edge.token}`,
      body: { version: 1, attempt: 3 },
      answer: { outcome: "claimed", attempts: 3 },
    });
    const [, traceId, spanId] = claim?.traceparent?.split("-") ?? [];
    expect(traceId).toBe("4bf92f3577b34da6a3ce929d0e0e4736");
    expect(spanId).not.toBe("00f067aa0ba902b7");
    expect(callbacks.map((c) => [c.body.status, c.body.attempt, c.traceparent])).toEqual([
      ["succeeded", 3, claim?.traceparent ?? ""],
    ]);
    expect(edge.attemptsOf(message.jobId)).toBe(3);
  });

  test("a message whose URL expired while queued runs with the fresh URL of the claim", async () => {
    const white = await solidImage(64, 64, [255, 255, 255]);
    const stale = edge.addImage("stale-url.png", white, { status: 403 });
    const fresh = edge.addImage("fresh-url.png", white);
    const message = detectMessage(stale);
    edge.signFreshUrl(message.jobId, fresh.url);
    const { acked, claims, callbacks } = await settle(message);
    expect(acked).toBe(true);
    expect(claims[0]?.answer).toMatchObject({ outcome: "claimed", job: { image: { url: fresh.url } } });
    expect(callbacks.map((c) => c.body.status)).toEqual(["succeeded"]);
    expect(edge.requestedImages).toContain("fresh-url.png");
    expect(edge.requestedImages).not.toContain("stale-url.png");
  });

  test("a job already finished (or deleted) is acked without fetching the image or reporting", async () => {
    const image = edge.addImage("finished.png", await solidImage(64, 64, [255, 255, 255]));
    const message = detectMessage(image);
    edge.finishJob(message.jobId);
    const { acked, claims, callbacks } = await settle(message);
    expect(acked).toBe(true);
    expect(claims.map((c) => c.answer)).toEqual([{ outcome: "finished" }]);
    expect(callbacks).toEqual([]);
    expect(edge.requestedImages).not.toContain("finished.png");
  });

  test("a redelivered message of a job that succeeded is acked without running it again", async () => {
    const image = edge.addImage("twice.png", await solidImage(64, 64, [255, 255, 255]));
    const message = detectMessage(image);
    expect((await settle(message)).acked).toBe(true);
    const again = await settle(message, { attempts: 1 });
    expect(again.acked).toBe(true);
    expect(again.claims.map((c) => c.answer?.outcome)).toEqual(["claimed", "finished"]);
    expect(again.callbacks).toHaveLength(1);
    expect(edge.requestedImages.filter((name) => name === "twice.png")).toHaveLength(1);
  });

  test("a claim refused with 503 is tried again and the job proceeds", async () => {
    const image = edge.addImage("claim-503.png", await solidImage(64, 64, [255, 255, 255]));
    edge.failClaims = [503];
    const { acked, claims, callbacks } = await settle(detectMessage(image));
    expect(acked).toBe(true);
    expect(claims.map((c) => c.status)).toEqual([503, 200]);
    expect(callbacks.map((c) => c.body.status)).toEqual(["succeeded"]);
  });

  test("a claim the edge keeps refusing: the message is retried, the image never fetched, nothing reported", async () => {
    const image = edge.addImage("claim-down.png", await solidImage(64, 64, [255, 255, 255]));
    edge.claimStatus = 503;
    try {
      const { acked, claims, callbacks } = await settle(detectMessage(image));
      expect(acked).toBe(false);
      expect(claims.map((c) => c.status)).toEqual([503, 503, 503]);
      expect(callbacks).toEqual([]);
      expect(edge.requestedImages).not.toContain("claim-down.png");
    } finally {
      edge.claimStatus = null;
    }
  });

  test("the fake edge refuses claims without the callback token, like the edge (401, not retried)", async () => {
    const message = detectMessage(edge.addImage("claim-401.png", await solidImage(64, 64, [0, 0, 0])));
    const url = `${edge.url}/internal/v1/jobs/${message.jobId}/claim`;
    for (const headers of [{}, { authorization: "Bearer wrong" }] as Array<Record<string, string>>) {
      const response = await fetch(url, {
        method: "POST",
        headers: { ...headers, "content-type": "application/json" },
        body: JSON.stringify({ version: 1, attempt: 1 }),
      });
      expect(response.status).toBe(401);
      expect(response.headers.get("www-authenticate")).toContain("Bearer");
    }
    const client = new EdgeClient({
      edgeUrl: edge.url,
      callbackToken: "wrong",
      timeoutMs: 2000,
      attempts: 3,
      baseDelayMs: 1,
      maxDelayMs: 5,
    });
    expect(await client.claim(message.jobId, 1, message.traceparent)).toEqual({
      ok: false,
      status: 401,
      reason: "edge answered 401",
    });
    expect(edge.claims.filter((c) => c.jobId === message.jobId).map((c) => c.status)).toEqual([
      401, 401, 401,
    ]);
    expect(edge.attemptsOf(message.jobId)).toBe(0);
  });

  test("metrics count the outcomes and stages", async () => {
    const text = await service.metrics.registry.metrics();
    expect(text).toMatch(/inference_jobs_total\{source="pull",outcome="succeeded"\} [1-9]/);
    expect(text).toMatch(/inference_jobs_total\{source="pull",outcome="already_finished"\} [1-9]/);
    expect(text).toMatch(/inference_stage_seconds_count\{stage="claim"\} [1-9]/);
    expect(text).toMatch(/inference_jobs_total\{source="pull",outcome="failed_permanent"\} [1-9]/);
    expect(text).toContain('inference_stage_seconds_count{stage="callback"}');
    expect(text).toMatch(/inference_batch_size_count\{model="v8-dynamic"\} [1-9]/);
    expect(text).toMatch(/inference_errors_total\{code="image_corrupt"\} [1-9]/);
  });
});
