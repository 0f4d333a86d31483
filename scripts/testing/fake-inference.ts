import { afterAll, beforeAll } from "bun:test";
import { createHash } from "node:crypto";
import { JobClaimSchema } from "@common/contracts/job-claim";
import { type PushBatch, PushBatchSchema, type PushResponse } from "@common/contracts/push-batch";
import type { Server } from "bun";
import { sharedServices } from "./shared-services";
import { STARTUP_TIMEOUT_MS, startTestWorker, type TestWorker, type TestWorkerOptions } from "./test-worker";

type Message = PushBatch["messages"][number];
type Outcome = PushResponse["results"][number];

export type FakeInferenceOptions = {
  /**
   * What a message's processing does after its claim: succeed (default), report a retryable
   * failure, or lose it (no report at all, as when a worker crashes or a download times out).
   */
  behaviour?: (message: Message) => "succeed" | "fail" | "lose";
  /**
   * Called once per push before any processing; return "reject" to answer 503, "die" to process
   * only the first half of the batch and then never answer (the caller's timeout fires), or
   * "handle" to process everything.
   */
  onPush?: (batch: PushBatch, pushNumber: number) => "handle" | "reject" | "die";
};

export type CallbackRecord = { jobId: string; attempt: number; status: string; outcome: string };
export type ClaimRecord = { jobId: string; attempt: number; outcome: string; url?: string };

/** Two detections that depend only on the job id, so a repeated run reports the identical result. */
export function fakeDetections(jobId: string) {
  const seed = Number.parseInt(jobId.replaceAll("-", "").slice(-4), 16) % 100;
  return [
    { classId: 0, label: "porosity", score: 0.9, box: { x1: seed, y1: 10, x2: seed + 50, y2: 60 } },
    { classId: 1, label: "crack", score: 0.6, box: { x1: 200, y1: seed, x2: 260, y2: seed + 30 } },
  ];
}

/**
 * A stand-in for the inference service's `POST /v1/queue/push`, faithful to the contract: it
 * checks the bearer token, validates the batch, claims each job from the edge (acking the message
 * of a finished one), downloads the image by the claim's signed URL (checking the sha256), posts
 * the result to the edge's callback with the callback token and answers ack only when the edge
 * said 2xx.
 */
export async function startFakeInference(initial: FakeInferenceOptions = {}) {
  let options = initial;
  const { secrets } = await sharedServices();
  /** The edge the results go to: the test Worker's origin, known once it has started. */
  let edgeOrigin = "";
  const callbacks: CallbackRecord[] = [];
  const claims: ClaimRecord[] = [];
  const serviceHeaders = {
    Authorization: `Bearer ${secrets.callbackToken}`,
    "Content-Type": "application/json",
  };
  const pushes: Array<{ at: number; attempts: Record<string, number> }> = [];

  async function process(message: Message): Promise<Outcome> {
    const claimed = await fetch(`${edgeOrigin}/internal/v1/jobs/${message.body.jobId}/claim`, {
      method: "POST",
      headers: serviceHeaders,
      body: JSON.stringify({ version: 1, attempt: message.attempts }),
    });
    if (!claimed.ok) {
      await claimed.body?.cancel();
      claims.push({
        jobId: message.body.jobId,
        attempt: message.attempts,
        outcome: `http_${claimed.status}`,
      });
      return { id: message.id, outcome: "retry", reason: `claim answered ${claimed.status}` };
    }
    const claim = JobClaimSchema.parse(await claimed.json());
    claims.push({
      jobId: message.body.jobId,
      attempt: message.attempts,
      outcome: claim.outcome,
      ...(claim.outcome === "claimed" ? { url: claim.job.image.url } : {}),
    });
    if (claim.outcome === "finished") return { id: message.id, outcome: "ack" };
    const body = claim.job;
    const image = await fetch(body.image.url);
    const bytes = new Uint8Array(await image.arrayBuffer());
    if (!image.ok || createHash("sha256").update(bytes).digest("hex") !== body.image.sha256) {
      return { id: message.id, outcome: "retry", reason: `image fetch answered ${image.status}` };
    }
    const behaviour = options.behaviour?.(message) ?? "succeed";
    if (behaviour === "lose") return { id: message.id, outcome: "retry", reason: "lost" };
    const failing = behaviour === "fail";
    const result = failing
      ? {
          version: 1,
          jobId: body.jobId,
          status: "failed",
          attempt: message.attempts,
          error: { code: "inference_failed", message: "tensor shape mismatch", permanent: false },
        }
      : {
          version: 1,
          jobId: body.jobId,
          status: "succeeded",
          attempt: message.attempts,
          model: { name: body.model, version: "1.0.0", sha256: "b".repeat(64) },
          image: { width: body.image.width, height: body.image.height },
          detections: fakeDetections(body.jobId),
          timings: { fetchMs: 1, decodeMs: 1, preprocessMs: 1, runMs: 5, postprocessMs: 1, totalMs: 9 },
        };
    const response = await fetch(`${edgeOrigin}/internal/v1/jobs/${body.jobId}/result`, {
      method: "POST",
      headers: serviceHeaders,
      body: JSON.stringify(result),
    });
    const answer = (await response.json()) as { outcome?: string };
    callbacks.push({
      jobId: body.jobId,
      attempt: message.attempts,
      status: result.status,
      outcome: answer.outcome ?? `http_${response.status}`,
    });
    if (!response.ok || failing) return { id: message.id, outcome: "retry", reason: "not finished" };
    return { id: message.id, outcome: "ack" };
  }

  const server: Server<unknown> = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch: async (request) => {
      const url = new URL(request.url);
      if (url.pathname !== "/v1/queue/push" || request.method !== "POST")
        return new Response(null, { status: 404 });
      if (request.headers.get("authorization") !== `Bearer ${secrets.inferenceApiToken}`) {
        return Response.json({ error: { code: "unauthorized" } }, { status: 401 });
      }
      const parsed = PushBatchSchema.safeParse(await request.json());
      if (!parsed.success) return Response.json({ error: { code: "validation_failed" } }, { status: 400 });
      const batch = parsed.data;
      pushes.push({
        at: Date.now(),
        attempts: Object.fromEntries(batch.messages.map((m) => [m.body.jobId, m.attempts])),
      });
      const decision = options.onPush?.(batch, pushes.length) ?? "handle";
      if (decision === "reject") return Response.json({ error: { code: "queue_full" } }, { status: 503 });
      if (decision === "die") {
        for (const message of batch.messages.slice(0, Math.ceil(batch.messages.length / 2)))
          await process(message);
        // Never answer: the edge's push times out, as if the process had died mid-batch.
        await new Promise((resolve) => request.signal.addEventListener("abort", resolve));
        return new Response(null, { status: 499 });
      }
      const results = await Promise.all(batch.messages.map(process));
      return Response.json({ results } satisfies PushResponse);
    },
  });

  return {
    url: `http://127.0.0.1:${server.port}`,
    callbacks,
    claims,
    pushes,
    setEdge(origin: string) {
      edgeOrigin = origin;
    },
    /** Changes what later pushes do (per test). */
    configure(next: FakeInferenceOptions) {
      options = next;
    },
    stop: () => server.stop(true),
  };
}

export type FakeInference = Awaited<ReturnType<typeof startFakeInference>>;

/**
 * A test Worker whose `detect` queue pushes to a fake inference service, for the whole file:
 * both start before its tests and stop after. Read `stack.worker` / `stack.fake` inside tests.
 */
export function useWorkerWithFakeInference(options: TestWorkerOptions = {}): {
  worker: TestWorker;
  fake: FakeInference;
} {
  const stack = {} as { worker: TestWorker; fake: FakeInference };
  beforeAll(async () => {
    stack.fake = await startFakeInference();
    stack.worker = await startTestWorker({
      ...options,
      vars: { INFERENCE_URL: stack.fake.url, ...options.vars },
    });
    stack.fake.setEdge(stack.worker.origin);
  }, STARTUP_TIMEOUT_MS);
  afterAll(async () => {
    await stack.worker?.dispose();
    stack.fake?.stop();
  });
  return stack;
}
