import { afterAll, beforeAll, expect, test } from "bun:test";
import { fileURLToPath } from "node:url";
import { FakeQueues } from "@scripts/testing/fakes/cloudflare-queues";
import { detectMessage, FakeEdge, waitFor } from "@scripts/testing/fakes/edge";
import { pullServiceEnv, solidImage } from "./fixtures";

// Runs the real entry point as a process, sends SIGTERM while messages are in flight, and checks
// that every message is either finished (result at the edge, then acked) or still in the queue.

const MAIN = fileURLToPath(new URL("../src/main.ts", import.meta.url));
const edge = new FakeEdge();
const queues = new FakeQueues();
let apiBase = "";

beforeAll(() => {
  edge.start();
  apiBase = queues.start();
});
afterAll(async () => {
  await Promise.all([edge.stop(), queues.stop()]);
});

test("SIGTERM during work: in-flight messages finish and are acked, the rest stay queued", async () => {
  const total = 6;
  const jobs: Array<ReturnType<typeof detectMessage>> = [];
  for (let i = 0; i < total; i++) {
    // Slow downloads keep messages in flight when the signal arrives.
    const image = edge.addImage(`slow-${i}.png`, await solidImage(64, 64, [255, 255, 255]), { delayMs: 400 });
    const job = detectMessage(image);
    jobs.push(job);
    queues.send(job);
  }
  const child = Bun.spawn([process.execPath, MAIN], {
    env: {
      PATH: process.env.PATH,
      INFERENCE_PORT: "0",
      INFERENCE_HOST: "127.0.0.1",
      INFERENCE_LOG_LEVEL: "warn",
      ...pullServiceEnv(edge, queues, apiBase),
      INFERENCE_MAX_IN_FLIGHT: "2",
      INFERENCE_PULL_BATCH_SIZE: "2",
      INFERENCE_PULL_IDLE_MS: "20",
      INFERENCE_VISIBILITY_TIMEOUT_MS: "60000",
    },
    stdout: "ignore",
    stderr: "pipe",
  });
  await waitFor(() => edge.imageRequests >= 2, "two downloads in flight", 30_000);
  child.kill("SIGTERM");
  const exitCode = await child.exited;
  const stderr = await new Response(child.stderr).text();
  expect({ exitCode, stderr: exitCode === 0 ? "" : stderr }).toEqual({ exitCode: 0, stderr: "" });

  const leased = new Set(queues.deliveries.map((d) => d.id));
  expect(leased.size).toBeGreaterThanOrEqual(2);
  // Everything that was leased got finished and acked; nothing leased was abandoned.
  expect(new Set(queues.acked)).toEqual(leased);
  for (const id of queues.acked) {
    const index = Number(id.replace("msg-", "")) - 1;
    const results = edge.callbacks.filter((c) => c.jobId === jobs[index]?.jobId);
    expect(results.map((r) => r.body.status)).toEqual(["succeeded"]);
  }
  // The rest was never touched and is immediately deliverable to the next instance.
  expect(queues.visible().length).toBe(total - leased.size);
  expect(queues.remaining().length).toBe(total - leased.size);
}, 60_000);
