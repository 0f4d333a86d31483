import { afterAll, describe, expect, test } from "bun:test";
import type { DetectMessage } from "@common/contracts/detect-message";
import type { DetectResult } from "@common/contracts/detect-result";
import type { JobClaim } from "@common/contracts/job-claim";
import { EdgeClient } from "../src/core/edge-client";

// The edge client (result callback, job claim) against a scripted edge: which answers it
// retries, and how long it waits between attempts when the edge says how long (Retry-After).

type Answer = { status: number; retryAfter?: string; body?: unknown };

/** Answers each callback with the next scripted answer (200 once the script is used up). */
function scriptedEdge() {
  let script: Answer[] = [];
  const arrivals: Array<{
    at: number;
    path: string;
    authorization: string | null;
    traceparent: string | null;
    body: unknown;
  }> = [];
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch: async (request) => {
      arrivals.push({
        at: performance.now(),
        path: new URL(request.url).pathname,
        authorization: request.headers.get("authorization"),
        traceparent: request.headers.get("traceparent"),
        body: await request.json(),
      });
      const answer = script.shift() ?? { status: 200 };
      const headers: Record<string, string> = { "content-type": "application/json" };
      if (answer.retryAfter !== undefined) headers["retry-after"] = answer.retryAfter;
      const body =
        answer.body ??
        (answer.status === 200 ? { outcome: "applied" } : { error: { code: "database_unavailable" } });
      return new Response(typeof body === "string" ? body : JSON.stringify(body), {
        status: answer.status,
        headers,
      });
    },
  });
  return {
    url: server.url.origin,
    arrivals,
    reset(next: Answer[]) {
      script = next;
      arrivals.length = 0;
    },
    gaps: () => arrivals.slice(1).map((arrival, i) => arrival.at - (arrivals[i]?.at ?? 0)),
    stop: () => server.stop(true),
  };
}

const edge = scriptedEdge();
afterAll(() => edge.stop());

const TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
const jobId = crypto.randomUUID();
const result: DetectResult = {
  version: 1,
  jobId,
  status: "succeeded",
  attempt: 1,
  model: { name: "weld-defects", version: "1.0.0", sha256: "a".repeat(64) },
  image: { width: 640, height: 480 },
  detections: [{ classId: 0, label: "porosity", score: 0.9, box: { x1: 1, y1: 2, x2: 30, y2: 40 } }],
  timings: { fetchMs: 1, decodeMs: 1, preprocessMs: 1, runMs: 5, postprocessMs: 1, totalMs: 9 },
};

/** Backoff alone would wait at most ~2 ms (base 1 ms): any longer gap is the edge's Retry-After. */
const client = (maxDelayMs: number, attempts = 4) =>
  new EdgeClient({
    edgeUrl: edge.url,
    callbackToken: "edge-test-token",
    timeoutMs: 2000,
    attempts,
    baseDelayMs: 1,
    maxDelayMs,
  });

describe("EdgeClient.postResult", () => {
  test("a 503 with Retry-After: 1 is retried after about a second, and the 200 that follows is success", async () => {
    edge.reset([{ status: 503, retryAfter: "1" }]);
    const outcome = await client(5000).postResult(result, TRACEPARENT);
    expect(outcome).toEqual({ ok: true, status: 200, outcome: "applied" });
    expect(edge.arrivals).toHaveLength(2);
    const [gap] = edge.gaps();
    expect(gap).toBeGreaterThanOrEqual(950);
    expect(gap).toBeLessThan(1500);
    // Both attempts carry the same callback.
    for (const arrival of edge.arrivals) {
      expect(arrival.authorization).toBe("Bearer edge-test-token");
      expect(arrival.traceparent).toBe(TRACEPARENT);
      expect(arrival.body).toEqual(result);
    }
  });

  test("the edge's answer says what it did; a 2xx whose body does not say is still accepted", async () => {
    edge.reset([{ status: 200, body: { outcome: "duplicate" } }]);
    expect(await client(5000).postResult(result, TRACEPARENT)).toEqual({
      ok: true,
      status: 200,
      outcome: "duplicate",
    });
    edge.reset([{ status: 200, body: "not json" }]);
    expect(await client(5000).postResult(result, TRACEPARENT)).toEqual({
      ok: true,
      status: 200,
      outcome: null,
    });
    expect(edge.arrivals).toHaveLength(1);
  });

  test("Retry-After is capped by maxDelayMs", async () => {
    edge.reset([
      { status: 503, retryAfter: "1" },
      { status: 429, retryAfter: "30" },
    ]);
    const outcome = await client(250).postResult(result, TRACEPARENT);
    expect(outcome).toEqual({ ok: true, status: 200, outcome: "applied" });
    expect(edge.arrivals).toHaveLength(3);
    for (const gap of edge.gaps()) {
      expect(gap).toBeGreaterThanOrEqual(220);
      expect(gap).toBeLessThan(700);
    }
  });

  test("a 503 without Retry-After falls back to the (short) backoff", async () => {
    edge.reset([{ status: 503 }, { status: 502 }]);
    const outcome = await client(5000).postResult(result, TRACEPARENT);
    expect(outcome).toEqual({ ok: true, status: 200, outcome: "applied" });
    expect(edge.arrivals).toHaveLength(3);
    for (const gap of edge.gaps()) expect(gap).toBeLessThan(200);
  });

  test("a 400 is not retried, even with Retry-After", async () => {
    edge.reset([{ status: 400, retryAfter: "1" }]);
    const outcome = await client(5000).postResult(result, TRACEPARENT);
    expect(outcome).toEqual({ ok: false, status: 400, reason: "edge answered 400" });
    expect(edge.arrivals).toHaveLength(1);
  });

  test("when every attempt is refused, the last answer is reported after that many attempts", async () => {
    edge.reset([
      { status: 503, retryAfter: "0" },
      { status: 503, retryAfter: "0" },
      { status: 503, retryAfter: "0" },
    ]);
    const outcome = await client(5000, 3).postResult(result, TRACEPARENT);
    expect(outcome).toEqual({ ok: false, status: 503, reason: "edge answered 503" });
    expect(edge.arrivals).toHaveLength(3);
  });
});

describe("EdgeClient.claim", () => {
  const job: DetectMessage = {
    version: 1,
    jobId,
    image: {
      id: crypto.randomUUID(),
      url: "https://edge.test/internal/v1/objects/img?sig=fresh",
      urlExpiresAt: new Date(Date.now() + 600_000).toISOString(),
      width: 640,
      height: 480,
      sha256: "b".repeat(64),
    },
    model: "weld-defects",
    params: { conf: 0.25, iou: 0.45, maxDet: 100, classes: null },
    traceparent: TRACEPARENT,
    enqueuedAt: new Date().toISOString(),
  };
  const claimed: JobClaim = { outcome: "claimed", attempts: 3, job };

  test("POSTs { version: 1, attempt } to the claim path with the token and traceparent", async () => {
    edge.reset([{ status: 200, body: claimed }]);
    const outcome = await client(5000).claim(jobId, 3, TRACEPARENT);
    expect(outcome).toEqual({ ok: true, claim: claimed });
    expect(edge.arrivals).toEqual([
      {
        at: expect.any(Number),
        path: `/internal/v1/jobs/${jobId}/claim`,
        authorization: "Bearer edge-test-token",
        traceparent: TRACEPARENT,
        body: { version: 1, attempt: 3 },
      },
    ]);
  });

  test("a finished job is an answer like any other", async () => {
    edge.reset([{ status: 200, body: { outcome: "finished" } }]);
    expect(await client(5000).claim(jobId, 1, TRACEPARENT)).toEqual({
      ok: true,
      claim: { outcome: "finished" },
    });
  });

  test("a 503 with Retry-After is retried after it (capped), like a result callback", async () => {
    edge.reset([
      { status: 503, retryAfter: "1" },
      { status: 200, body: claimed },
    ]);
    const outcome = await client(250).claim(jobId, 1, TRACEPARENT);
    expect(outcome).toEqual({ ok: true, claim: claimed });
    expect(edge.arrivals).toHaveLength(2);
    const [gap] = edge.gaps();
    expect(gap).toBeGreaterThanOrEqual(220);
    expect(gap).toBeLessThan(700);
  });

  test("a 401 is final; so is a 5xx after the last attempt", async () => {
    edge.reset([{ status: 401 }]);
    expect(await client(5000).claim(jobId, 1, TRACEPARENT)).toEqual({
      ok: false,
      status: 401,
      reason: "edge answered 401",
    });
    expect(edge.arrivals).toHaveLength(1);
    edge.reset([{ status: 503 }, { status: 500 }]);
    expect(await client(5000, 2).claim(jobId, 1, TRACEPARENT)).toEqual({
      ok: false,
      status: 500,
      reason: "edge answered 500",
    });
    expect(edge.arrivals).toHaveLength(2);
  });

  test("an answer that is not a claim for this job is a failure, not asked again", async () => {
    const answers: unknown[] = [
      "not json",
      { outcome: "applied" },
      { outcome: "claimed", attempts: 1, job: { ...job, image: { ...job.image, url: "nope" } } },
      { outcome: "claimed", attempts: 1, job: { ...job, jobId: crypto.randomUUID() } },
    ];
    for (const body of answers) {
      edge.reset([{ status: 200, body }]);
      const outcome = await client(5000).claim(jobId, 1, TRACEPARENT);
      expect(outcome).toMatchObject({ ok: false, status: 200 });
      expect(outcome.ok === false && outcome.reason).toStartWith("edge answered an invalid claim");
      expect(edge.arrivals).toHaveLength(1);
    }
  });
});
