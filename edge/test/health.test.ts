import { describe, expect, test } from "bun:test";
import { ReadinessSchema } from "@edge/routes/health";
import { readBody } from "@scripts/testing/responses";
import { sharedServices } from "@scripts/testing/shared-services";
import { startTestWorker, useTestWorker } from "@scripts/testing/test-worker";

const TIMEOUT_MS = 1500;
const worker = useTestWorker({ vars: { HEALTH_CHECK_TIMEOUT_MS: String(TIMEOUT_MS) } });

describe("GET /health", () => {
  test("answers 200 without touching dependencies", async () => {
    const response = await worker.current.fetch("/health");
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: "ok" });
  });
});

describe("GET /health/ready", () => {
  test("reports every present dependency ok and the unconfigured inference service as skipped", async () => {
    const response = await worker.current.fetch("/health/ready");
    const body = await readBody(response, ReadinessSchema);
    expect(response.status).toBe(200);
    expect(response.headers.get("cache-control")).toBe("no-store");
    expect(body.status).toBe("ready");
    for (const name of ["database", "storage", "queue"]) {
      expect(body.checks[name]).toMatchObject({ status: "ok", required: true });
    }
    expect(body.checks.inference).toMatchObject({ status: "skipped", required: false });
  });

  test("answers 503 within its timeout while the database is stopped, and 200 after restart", async () => {
    const { pg } = await sharedServices();
    await pg.stop();
    try {
      const started = performance.now();
      const response = await worker.current.fetch("/health/ready");
      const elapsed = performance.now() - started;
      const body = await readBody(response, ReadinessSchema);
      expect(response.status).toBe(503);
      expect(body.status).toBe("unavailable");
      expect(body.checks.database).toMatchObject({ status: "error", required: true });
      expect(body.checks.storage?.status).toBe("ok");
      // Bounded by the probe timeout (plus request overhead), not by the driver's own waits.
      expect(elapsed).toBeLessThan(TIMEOUT_MS + 1000);
    } finally {
      await pg.start();
    }
    const response = await worker.current.fetch("/health/ready");
    expect(response.status).toBe(200);
    expect((await readBody(response, ReadinessSchema)).checks.database?.status).toBe("ok");
  });
});

describe("GET /health/ready with an inference service configured", () => {
  const withInference = useTestWorker({
    vars: { INFERENCE_URL: "http://127.0.0.1:9", HEALTH_CHECK_TIMEOUT_MS: String(TIMEOUT_MS) },
  });

  test("an unreachable inference service is reported but does not make the edge unready", async () => {
    const response = await withInference.current.fetch("/health/ready");
    const body = await readBody(response, ReadinessSchema);
    expect(response.status).toBe(200);
    expect(body.checks.inference).toMatchObject({ status: "error", required: false });
    expect(body.checks.inference?.message).toBeString();
  });

  test("a reachable inference service is ok", async () => {
    const inference = Bun.serve({
      port: 0,
      hostname: "127.0.0.1",
      fetch: () => Response.json({ status: "ok" }),
    });
    const started = await startTestWorker({ vars: { INFERENCE_URL: `http://127.0.0.1:${inference.port}` } });
    try {
      const body = await readBody(await started.fetch("/health/ready"), ReadinessSchema);
      expect(body.checks.inference).toMatchObject({ status: "ok", required: false });
    } finally {
      await started.dispose();
      inference.stop(true);
    }
  });
});
