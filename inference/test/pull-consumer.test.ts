import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import type { DetectMessage } from "@common/contracts/detect-message";
import { FakeQueues } from "@scripts/testing/fakes/cloudflare-queues";
import { detectMessage, waitFor } from "@scripts/testing/fakes/edge";
import type { MessageOutcome } from "../src/core/processor";
import { silentLogger } from "../src/log";
import { Metrics } from "../src/metrics";
import { type MessageHandler, PullConsumer, type PullConsumerOptions } from "../src/sources/pull-consumer";
import { QueuesApi } from "../src/sources/queues-api";

const OPTIONS: PullConsumerOptions = {
  batchSize: 10,
  visibilityTimeoutMs: 30_000,
  maxInFlight: 4,
  idleMs: 10,
  backoffBaseMs: 5,
  backoffMaxMs: 20,
  retryBaseDelaySeconds: 1,
  retryMaxDelaySeconds: 60,
};

let queues: FakeQueues;
let apiBase: string;
const consumers: PullConsumer[] = [];

beforeEach(() => {
  queues = new FakeQueues();
  apiBase = queues.start();
});
afterEach(async () => {
  await Promise.all(consumers.splice(0).map((c) => c.stop()));
  await queues.stop();
});

function consumer(handler: MessageHandler, options: Partial<PullConsumerOptions> = {}, token = queues.token) {
  const api = new QueuesApi({
    apiBase,
    accountId: queues.accountId,
    queueId: queues.queueId,
    apiToken: token,
  });
  const created = new PullConsumer(
    api,
    handler,
    { ...OPTIONS, ...options },
    silentLogger,
    new Metrics({ defaultMetrics: false }),
  );
  consumers.push(created);
  return created;
}

const image = { url: "https://edge.test/images/a.png", sha256: "0".repeat(64) };
const ack: MessageOutcome = { outcome: "ack" };

/** A handler that records calls and holds each message until released. */
function gatedHandler() {
  const seen: Array<{ jobId: string; attempts: number }> = [];
  const gates: Array<() => void> = [];
  const handler: MessageHandler = (message, attempts) => {
    seen.push({ jobId: message.jobId, attempts });
    return new Promise((resolve) => gates.push(() => resolve(ack)));
  };
  const releaseAll = () => {
    for (const open of gates.splice(0)) open();
  };
  return { seen, handler, releaseAll };
}

describe("pull consumer against the documented pull/ack wire format", () => {
  test("hands every message to the core once and acks it by lease id", async () => {
    const jobs = Array.from({ length: 5 }, () => detectMessage(image));
    for (const job of jobs) queues.send(job);
    const seen: string[] = [];
    consumer(async (message) => {
      seen.push(message.jobId);
      return ack;
    }).start();
    await waitFor(() => queues.remaining().length === 0, "all messages acked");
    expect(seen.sort()).toEqual(jobs.map((j) => j.jobId).sort());
    const ackedLeases = queues.ackCalls.flatMap((call) => call.acks.map((a) => a.lease_id));
    expect(ackedLeases.sort()).toEqual(queues.deliveries.map((d) => d.leaseId).sort());
  });

  test("retries carry delay_seconds growing with attempts, and the message comes back", async () => {
    const first = detectMessage(image);
    const third = detectMessage(image);
    queues.send(first);
    queues.send(third, { attempts: 2 });
    const attemptsSeen: Array<[string, number]> = [];
    consumer(async (message: DetectMessage, attempts) => {
      attemptsSeen.push([message.jobId, attempts]);
      if (message.jobId === first.jobId && attempts === 1) return { outcome: "retry", reason: "transient" };
      if (message.jobId === third.jobId) return { outcome: "retry", reason: "transient" };
      return ack;
    }).start();
    await waitFor(() => queues.acked.length === 1, "first message acked after its retry");
    const retries = queues.ackCalls.flatMap((call) => call.retries);
    const delayFor = (attempts: number) =>
      retries.find((r) => queues.deliveries.find((d) => d.leaseId === r.lease_id)?.attempts === attempts)
        ?.delay_seconds;
    expect(delayFor(1)).toBe(1);
    expect(delayFor(3)).toBe(4);
    expect(attemptsSeen.filter(([id]) => id === first.jobId).map(([, n]) => n)).toEqual([1, 2]);
  });

  test("a message whose lease expires mid-work is delivered again; the stale ack changes nothing", async () => {
    const job = detectMessage(image);
    queues.send(job);
    const gated = gatedHandler();
    consumer(gated.handler, { visibilityTimeoutMs: 150, maxInFlight: 2 }).start();
    await waitFor(() => gated.seen.length === 2, "redelivery after the visibility timeout");
    expect(gated.seen.map((s) => s.attempts)).toEqual([1, 2]);
    gated.releaseAll();
    await waitFor(() => queues.ackCalls.flatMap((c) => c.acks).length === 2, "both leases settled");
    expect(queues.acked).toEqual(["msg-1"]);
    expect(queues.remaining()).toEqual([]);
    // The first delivery's lease had expired: its late ack is refused, not double-counted.
    expect(queues.staleLeases).toEqual([queues.deliveries[0]?.leaseId as string]);
  });

  test("backs off on 429 and 5xx from the pull API, then recovers", async () => {
    queues.failPulls = [429, 500, 503];
    const job = detectMessage(image);
    queues.send(job);
    const seen: string[] = [];
    consumer(async (message) => {
      seen.push(message.jobId);
      return ack;
    }).start();
    await waitFor(() => queues.acked.length === 1, "message acked after the API recovered");
    expect(queues.pullCalls).toBeGreaterThanOrEqual(4);
    expect(seen).toEqual([job.jobId]);
  });

  test("reads base64 `bytes` bodies; an unreadable body is retried towards the dead-letter queue", async () => {
    const job = detectMessage(image);
    queues.send(job, { contentType: "bytes" });
    queues.send("{not json", { contentType: "text" });
    const seen: string[] = [];
    consumer(async (message) => {
      seen.push(message.jobId);
      return ack;
    }).start();
    await waitFor(
      () => queues.ackCalls.flatMap((c) => [...c.acks, ...c.retries]).length === 2,
      "both settled",
    );
    expect(seen).toEqual([job.jobId]);
    expect(queues.acked).toEqual(["msg-1"]);
    expect(queues.remaining()).toEqual(["msg-2"]);
  });

  test("never leases more than maxInFlight messages at once", async () => {
    for (let i = 0; i < 6; i++) queues.send(detectMessage(image));
    const gated = gatedHandler();
    const pulling = consumer(gated.handler, { maxInFlight: 2 });
    pulling.start();
    await waitFor(() => gated.seen.length === 2, "two messages in flight");
    const pullsAtLimit = queues.pullCalls;
    await Bun.sleep(50);
    expect(queues.deliveries).toHaveLength(2);
    expect(queues.pullCalls).toBe(pullsAtLimit);
    gated.releaseAll();
    await waitFor(() => gated.seen.length === 4, "next two pulled once slots freed");
    gated.releaseAll();
  });

  test("stop() pulls nothing more, finishes and acks in-flight work, leaves the rest queued", async () => {
    for (let i = 0; i < 5; i++) queues.send(detectMessage(image));
    const gated = gatedHandler();
    const pulling = consumer(gated.handler, { maxInFlight: 2, batchSize: 2 });
    pulling.start();
    await waitFor(() => gated.seen.length === 2, "two messages in flight");
    const stopped = pulling.stop();
    const pullsAtStop = queues.pullCalls;
    gated.releaseAll();
    await stopped;
    expect(queues.pullCalls).toBe(pullsAtStop);
    expect(queues.acked).toHaveLength(2);
    expect(queues.visible()).toHaveLength(3);

    const next = gatedHandler();
    consumer(next.handler).start();
    await waitFor(() => next.seen.length === 3, "the rest delivered to the next consumer");
    next.releaseAll();
    await waitFor(() => queues.remaining().length === 0, "everything acked");
    expect(new Set([...gated.seen, ...next.seen].map((s) => s.jobId)).size).toBe(5);
  });

  test("a rejected API token loses nothing: the consumer keeps backing off", async () => {
    queues.send(detectMessage(image));
    consumer(async () => ack, {}, "wrong-token").start();
    await waitFor(() => queues.requests >= 3, "repeated pull attempts");
    expect(queues.remaining()).toHaveLength(1);
    expect(queues.deliveries).toHaveLength(0);
  });
});
