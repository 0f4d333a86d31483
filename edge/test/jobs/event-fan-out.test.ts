import { describe, expect, test } from "bun:test";
import { connect } from "node:net";
import type { JobEvent } from "@edge/jobs/events";
import { JobSchema } from "@edge/routes/jobs/schema";
import { forgeAccessToken } from "@scripts/testing/auth-fixtures";
import { jobEventsHub } from "@scripts/testing/job-events-hub";
import {
  eventually,
  insertImage,
  insertJob,
  insertUser,
  postResult,
  succeededResult,
} from "@scripts/testing/job-fixtures";
import { parseBody, readBody } from "@scripts/testing/responses";
import { sharedServices } from "@scripts/testing/shared-services";
import { useTestWorker } from "@scripts/testing/test-worker";
import { z } from "zod";

// Waits and event streams of one owner in one isolate share one WebSocket to the owner's
// JobEvents hub (accepted through the Hibernation API), fanned out in memory; each stream holds a
// bounded number of events for a slow client. The hub's `subscriptions()` counts its sockets.
// workerd does not tell a response body's source that its client went away: a cancelled stream's
// share is dropped by the subscription's sweep within (2 + 1) heartbeats, a wait's at its answer.

const MAX_BUFFERED = 16;
const HEARTBEAT_SECONDS = 4;
const RETRY_MS = 1000;
const RETRY_JITTER_MS = 4000;
/** A cancelled stream leaves its subscription within this (see edge/src/jobs/events.ts). */
const DEPARTED_WITHIN_MS = (3 * HEARTBEAT_SECONDS + 3) * 1000;

const worker = useTestWorker({
  vars: {
    RATE_LIMIT_READ: "100000/60s",
    EVENT_STREAM_MAX_BUFFERED_EVENTS: String(MAX_BUFFERED),
    JOB_EVENTS_HEARTBEAT_SECONDS: String(HEARTBEAT_SECONDS),
    EVENT_STREAM_RETRY_MS: String(RETRY_MS),
    EVENT_STREAM_RETRY_JITTER_MS: String(RETRY_JITTER_MS),
  },
});

/** What these tests read of a job event's `data`. */
const JobEventDataSchema = z.object({
  type: z.string(),
  job: z.object({ id: z.string(), status: z.string() }),
});
const ReconnectSchema = z.object({
  type: z.literal("reconnect"),
  reason: z.enum(["overflow", "idle", "lost"]),
  lastEventId: z.string().nullable(),
});

/** The owner's hub, as the test Worker's binding reaches it. */
async function hubOf(ownerId: string) {
  const stub = await jobEventsHub(worker.current, ownerId);
  return {
    subscriptions: async () => z.number().parse(await stub.subscriptions()),
    publish: async (events: JobEvent[]) => z.number().parse(await stub.publish(events)),
  };
}

async function owner() {
  const id = await insertUser(worker.current);
  return { id, auth: `Bearer ${await forgeAccessToken({ claims: { sub: id } })}` };
}

async function queuedJob(ownerId: string) {
  const image = await insertImage(worker.current, ownerId, { storeObject: false });
  return insertJob(worker.current, ownerId, image.id);
}

/** A made-up event of the owner's, padded so a few fill a transport's buffers. */
function bulkyEvent(index: number, padding: number): JobEvent {
  const at = new Date().toISOString();
  return {
    type: "job.running",
    job: {
      id: `bulk-${index}`,
      status: "running",
      imageId: "bulk",
      model: "weld-defects",
      modelVersion: null,
      modelSha256: null,
      attempts: 1,
      error: "x".repeat(padding),
      detectionCount: 0,
      createdAt: at,
      startedAt: at,
      finishedAt: null,
    },
  };
}

/** SSE blocks of a body text: the fields of each, in order. */
function sseBlocks(text: string): Array<Record<string, string>> {
  return text
    .split("\n\n")
    .filter((block) => block.trim().length > 0)
    .map((block) => {
      const fields: Record<string, string> = {};
      for (const line of block.split("\n")) {
        const colon = line.indexOf(":");
        if (colon <= 0) continue;
        fields[line.slice(0, colon)] = line.slice(colon + 1).trimStart();
      }
      return fields;
    });
}

/** Reads a streamed body in the background, counting its job events. */
function follow(response: Response) {
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let text = "";
  let ended = false;
  const done = (async () => {
    for (let read = await reader.read(); !read.done; read = await reader.read()) {
      text += decoder.decode(read.value, { stream: true });
    }
    ended = true;
  })().catch(() => {});
  return {
    get text() {
      return text;
    },
    get ended() {
      return ended;
    },
    jobEvents: () => (text.match(/^event: job\./gm) ?? []).length,
    done,
    cancel: () => reader.cancel().catch(() => {}),
  };
}

/**
 * A client that sends its request, takes the response head and then stops reading (its socket
 * paused), so TCP backpressure reaches the Worker; `drain()` reads the rest and undoes the
 * chunked framing.
 */
async function stalledClient(path: string, auth: string) {
  const { origin } = worker.current;
  const url = new URL(origin);
  const socket = connect({ host: url.hostname, port: Number(url.port) });
  const chunks: Buffer[] = [];
  const head = new Promise<void>((resolve, reject) => {
    socket.once("error", reject);
    socket.once("data", (chunk: Buffer) => {
      socket.pause();
      chunks.push(chunk);
      resolve();
    });
  });
  socket.write(`GET ${path} HTTP/1.1\r\nHost: localhost\r\nAuthorization: ${auth}\r\n\r\n`);
  await head;
  return {
    async drain(timeoutMs = 20_000): Promise<string> {
      const ended = new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error("stalled stream never ended")), timeoutMs);
        const check = () => {
          if (Buffer.concat(chunks).includes("\r\n0\r\n\r\n")) {
            clearTimeout(timer);
            resolve();
          }
        };
        socket.on("data", (chunk: Buffer) => {
          chunks.push(chunk);
          check();
        });
        socket.on("close", () => {
          clearTimeout(timer);
          resolve();
        });
        check();
      });
      socket.resume();
      await ended;
      socket.destroy();
      return dechunk(Buffer.concat(chunks));
    },
    close: () => socket.destroy(),
  };
}

function dechunk(raw: Buffer): string {
  const headEnd = raw.indexOf("\r\n\r\n");
  const parts: Buffer[] = [];
  for (let offset = headEnd + 4; offset < raw.length; ) {
    const lineEnd = raw.indexOf("\r\n", offset);
    const size = Number.parseInt(raw.subarray(offset, lineEnd).toString("latin1"), 16);
    if (!(size > 0)) break;
    parts.push(raw.subarray(lineEnd + 2, lineEnd + 2 + size));
    offset = lineEnd + 2 + size + 2;
  }
  return Buffer.concat(parts).toString();
}

describe("one hub subscription per isolate and owner", () => {
  test("200 waits of one owner hold one hub socket, one publish wakes them all, the last out closes it", async () => {
    const { id, auth } = await owner();
    const jobId = await queuedJob(id);
    const hub = await hubOf(id);
    const { sqlEndpoint } = await sharedServices();
    const WAITS = 200;
    const before = sqlEndpoint.stats().requests;
    const waits = Array.from({ length: WAITS }, () =>
      worker.current
        .fetch(`/v1/jobs/${jobId}?wait=25`, { headers: { Authorization: auth } })
        .then(async (response) => ({ status: response.status, job: await readBody(response, JobSchema) })),
    );
    // Each wait reads its job once it is subscribed (the caller is cached for reads).
    await eventually(
      async () => (sqlEndpoint.stats().requests - before >= WAITS ? true : undefined),
      20_000,
      "every wait subscribed",
    );
    expect(await hub.subscriptions()).toBe(1);

    expect((await postResult(worker.current, jobId, succeededResult(jobId))).status).toBe(200);
    const answers = await Promise.all(waits);
    expect(answers.filter((answer) => answer.status !== 200 || answer.job.status !== "succeeded")).toEqual(
      [],
    );
    await eventually(
      async () => ((await hub.subscriptions()) === 0 ? true : undefined),
      5000,
      "socket closed",
    );
  }, 60_000);

  test("waits and streams of two owners: one socket each, each owner sees only its own events", async () => {
    const [first, second] = [await owner(), await owner()];
    const streams = await Promise.all(
      [first, first, first, second, second].map((who) =>
        worker.current.fetch("/v1/jobs/events", { headers: { Authorization: who.auth } }),
      ),
    );
    const followers = streams.map(follow);
    try {
      expect(await (await hubOf(first.id)).subscriptions()).toBe(1);
      expect(await (await hubOf(second.id)).subscriptions()).toBe(1);
      expect(await (await hubOf(first.id)).publish([bulkyEvent(1, 0)])).toBe(1);
      await eventually(
        async () => (followers.slice(0, 3).every((f) => f.jobEvents() === 1) ? true : undefined),
        5000,
        "the first owner's streams to get its event",
      );
      expect(followers.slice(3).map((f) => f.jobEvents())).toEqual([0, 0]);
    } finally {
      for (const follower of followers) await follower.cancel();
    }
    await eventually(
      async () =>
        (await (await hubOf(first.id)).subscriptions()) + (await (await hubOf(second.id)).subscriptions()) ===
        0
          ? true
          : undefined,
      DEPARTED_WITHIN_MS,
      "both sockets closed",
    );
  }, 60_000);
});

describe("event streams", () => {
  test("a stalled client is dropped once its buffer fills, with a reconnect event; others keep receiving", async () => {
    const { id, auth } = await owner();
    const hub = await hubOf(id);
    const stalled = await stalledClient("/v1/jobs/events", auth);
    const healthy = follow(
      await worker.current.fetch("/v1/jobs/events", { headers: { Authorization: auth } }),
    );
    try {
      // 8 events of 64 KiB a publish, 640 in all (40 MiB): far past any socket buffer.
      const BATCH = 8;
      const BATCHES = 80;
      for (let batch = 0; batch < BATCHES; batch++) {
        const events = Array.from({ length: BATCH }, (_, i) => bulkyEvent(batch * BATCH + i, 64 * 1024));
        expect(await hub.publish(events)).toBe(1);
        const expected = (batch + 1) * BATCH;
        await eventually(
          async () => (healthy.jobEvents() === expected ? true : undefined),
          10_000,
          `the healthy stream to read ${expected} events`,
        );
      }
      expect(healthy.ended).toBe(false);

      const text = await stalled.drain();
      const blocks = sseBlocks(text);
      const jobEvents = blocks.filter((block) => block.event?.startsWith("job."));
      const last = blocks.at(-1) ?? {};
      expect(last.event).toBe("reconnect");
      const reconnect = parseBody(last.data ?? "", ReconnectSchema);
      expect(reconnect.reason).toBe("overflow");
      expect(jobEvents.length).toBeLessThan(BATCH * BATCHES);
      const lastSeen = jobEvents.at(-1);
      const lastJob = lastSeen ? parseBody(lastSeen.data ?? "", JobEventDataSchema).job : null;
      expect(reconnect.lastEventId).toBe(lastJob ? `${lastJob.id}:${lastJob.status}` : null);
      expect(await hub.subscriptions()).toBe(1);
    } finally {
      stalled.close();
      await healthy.cancel();
    }
    await eventually(
      async () => ((await hub.subscriptions()) === 0 ? true : undefined),
      DEPARTED_WITHIN_MS,
      "socket closed",
    );
  }, 120_000);

  test("each stream announces a jittered retry delay within bounds, and idle streams get keep-alives", async () => {
    const { auth } = await owner();
    const responses = await Promise.all(
      Array.from({ length: 12 }, () =>
        worker.current.fetch("/v1/jobs/events", { headers: { Authorization: auth } }),
      ),
    );
    const followers = responses.map(follow);
    try {
      await eventually(
        async () => (followers.every((f) => f.text.includes("retry:")) ? true : undefined),
        5000,
        "every stream's first block",
      );
      const delays = followers.map((f) => Number(sseBlocks(f.text)[0]?.retry));
      for (const delay of delays) {
        expect(delay).toBeGreaterThanOrEqual(RETRY_MS);
        expect(delay).toBeLessThanOrEqual(RETRY_MS + RETRY_JITTER_MS);
      }
      expect(new Set(delays).size).toBeGreaterThan(1);
      await eventually(
        async () => (followers.every((f) => f.text.includes(": keep-alive")) ? true : undefined),
        (HEARTBEAT_SECONDS + 3) * 1000,
        "a keep-alive comment on every idle stream",
      );
    } finally {
      for (const follower of followers) await follower.cancel();
    }
  }, 30_000);
});
