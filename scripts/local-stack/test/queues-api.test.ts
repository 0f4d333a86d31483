import { afterEach, describe, expect, test } from "bun:test";
import { type DetectMessage, DetectMessageSchema } from "@common/contracts/detect-message";
import type { MessageOutcome } from "@inference/core/processor";
import { silentLogger } from "@inference/log";
import { Metrics } from "@inference/metrics";
import { PullConsumer } from "@inference/sources/pull-consumer";
import { decodePulledBody, QueuesApi, QueuesApiError } from "@inference/sources/queues-api";
import { readBody } from "@scripts/testing/responses";
import { z } from "zod";
import { type LocalQueueSettings, type LocalQueuesApi, startLocalQueuesApi } from "../queues-api";

const ACCOUNT = "0123456789abcdef0123456789abcdef";
const TOKEN = "local-queues-token";
const QUEUE = "detect";

type DeadLettered = { id: string; body: unknown; contentType: string; attempts: number };

const servers: LocalQueuesApi[] = [];
const consumers: PullConsumer[] = [];

afterEach(async () => {
  await Promise.all(consumers.splice(0).map((c) => c.stop()));
  await Promise.all(servers.splice(0).map((s) => s.stop()));
});

function start(settings: LocalQueueSettings = {}, extra: { maxBodyBytes?: number } = {}) {
  const api = startLocalQueuesApi({
    port: 0,
    accountId: ACCOUNT,
    apiToken: TOKEN,
    queues: { [QUEUE]: settings, other: {} },
    ...extra,
  });
  servers.push(api);
  const client = new QueuesApi({ apiBase: api.apiBase, accountId: ACCOUNT, queueId: QUEUE, apiToken: TOKEN });
  const url = (suffix = "", queue = QUEUE, account = ACCOUNT) =>
    `${api.apiBase}/accounts/${account}/queues/${queue}/messages${suffix}`;
  return { api, client, url };
}

function post(url: string, body: unknown, token: string | null = TOKEN) {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (token !== null) headers.authorization = `Bearer ${token}`;
  return fetch(url, {
    method: "POST",
    headers,
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

/**
 * Cloudflare's API v4 envelope, in which the Queues HTTP API answers, around the `result` of a
 * call. Loose, so that an exact assertion on a result still sees every field.
 */
const envelope = <T extends z.ZodType>(result: T) =>
  z.looseObject({
    success: z.boolean(),
    errors: z.array(z.looseObject({ code: z.number().int(), message: z.string() })),
    messages: z.array(z.unknown()),
    result,
  });
const EnvelopeSchema = envelope(z.unknown());
/** A pull's result: each message's body base64-encoded, and the queue's backlog. */
const PullSchema = envelope(
  z.looseObject({
    messages: z.array(z.looseObject({ id: z.string(), body: z.string(), attempts: z.number().int() })),
    message_backlog_count: z.number().int(),
  }),
);
/** An ack's result: what was counted, and a warning per lease id that was not. */
const AckSchema = envelope(
  z.looseObject({
    ackCount: z.number().int(),
    retryCount: z.number().int(),
    warnings: z.record(z.string(), z.string()),
  }),
);

async function expectError(response: Response, status: number, code: number) {
  expect(response.status).toBe(status);
  const body = await readBody(response, EnvelopeSchema);
  expect(body.success).toBe(false);
  expect(body.messages).toEqual([]);
  expect(body.result).toBeNull();
  expect(body.errors[0]?.code).toBe(code);
  expect(body.errors[0]?.message.length).toBeGreaterThan(0);
  return body;
}

async function waitFor(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(10);
  }
}

function detectMessage(): DetectMessage {
  return DetectMessageSchema.parse({
    version: 1,
    jobId: crypto.randomUUID(),
    image: {
      id: crypto.randomUUID(),
      url: "https://edge.test/images/a.png",
      urlExpiresAt: new Date(Date.now() + 3_600_000).toISOString(),
      width: 640,
      height: 480,
      sha256: "0".repeat(64),
    },
    model: "yolo-test",
    params: { conf: 0.25, iou: 0.45, maxDet: 100, classes: null },
    traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
    enqueuedAt: new Date().toISOString(),
  });
}

describe("send and pull", () => {
  test("a message sent over HTTP is pulled once with attempts 1, its base64 JSON body and Cloudflare's metadata", async () => {
    const { client, url } = start();
    const job = detectMessage();
    const before = Date.now();
    const sent = await post(url(), { body: job, content_type: "json" });
    expect(sent.status).toBe(200);
    const sendEnvelope = await readBody(sent, EnvelopeSchema);
    expect(sendEnvelope).toMatchObject({ success: true, errors: [], messages: [] });

    const [message, ...rest] = await client.pull(10, 30_000);
    expect(rest).toEqual([]);
    if (message === undefined) throw new Error("nothing pulled");
    expect(message.id).toMatch(/^[0-9a-f]{32}$/);
    expect(message.attempts).toBe(1);
    // The pull-consumer guide: `json` bodies are delivered base64-encoded.
    expect(message.body).toBe(Buffer.from(JSON.stringify(job)).toString("base64"));
    expect(decodePulledBody(message)).toEqual(job);
    expect(message.metadata).toEqual({ "CF-sourceMessageSource": "api", "CF-Content-Type": "json" });
    expect(message.timestamp_ms).toBeGreaterThanOrEqual(before);
    expect(message.timestamp_ms).toBeLessThanOrEqual(Date.now());
    expect(message.lease_id.length).toBeGreaterThanOrEqual(40);
    // Leased: nobody else gets it.
    expect(await client.pull(10, 30_000)).toEqual([]);
  });

  test("text bodies arrive as the string, json ones base64; in-process send behaves like the batch endpoint", async () => {
    const { api, client, url } = start();
    api.send(QUEUE, [{ body: { n: 1 } }, { body: "plain words", contentType: "text" }]);
    await post(url("/batch"), { messages: [{ body: '{"n":3}', content_type: "text" }] });
    const pulled = await client.pull(10, 30_000);
    expect(pulled.map((m) => [m.body, m.metadata?.["CF-Content-Type"]])).toEqual([
      [Buffer.from('{"n":1}').toString("base64"), "json"],
      ["plain words", "text"],
      ['{"n":3}', "text"],
    ]);
    expect(new Set(pulled.map((m) => m.id)).size).toBe(3);
    expect(new Set(pulled.map((m) => m.lease_id)).size).toBe(3);
    expect(api.stats(QUEUE)).toEqual({ backlog: 3, leased: 3, delayed: 0, deadLettered: 0, acked: 0 });
  });

  test("batch_size is respected and the oldest messages come first; the backlog is reported", async () => {
    const { client, url } = start();
    const sent = await post(url("/batch"), { messages: [0, 1, 2, 3, 4].map((n) => ({ body: { n } })) });
    expect(sent.status).toBe(200);
    const first = await client.pull(2, 30_000);
    expect(first.map((m) => decodePulledBody(m))).toEqual([{ n: 0 }, { n: 1 }]);
    const raw = await post(url("/pull"), { batch_size: 10, visibility_timeout_ms: 30_000 });
    const { result } = await readBody(raw, PullSchema);
    expect(result.messages.map((m) => JSON.parse(Buffer.from(m.body, "base64").toString()))).toEqual([
      { n: 2 },
      { n: 3 },
      { n: 4 },
    ]);
    expect(result.message_backlog_count).toBe(5);
    expect(await client.pull(10, 30_000)).toEqual([]);
  });

  test("an empty pull body takes Cloudflare's defaults (batch_size 5)", async () => {
    const { api, url } = start();
    api.send(
      QUEUE,
      Array.from({ length: 7 }, (_, n) => ({ body: n })),
    );
    const response = await post(url("/pull"), {});
    const { result } = await readBody(response, PullSchema);
    expect(result.messages).toHaveLength(5);
  });

  test("delay_seconds on send keeps a message invisible until then; the batch delay is the default", async () => {
    const { api, client, url } = start();
    await post(url(), { body: "later", content_type: "text", delay_seconds: 1 });
    await post(url("/batch"), {
      delay_seconds: 1,
      messages: [
        { body: "batch-later", content_type: "text" },
        { body: "now", content_type: "text", delay_seconds: 0 },
      ],
    });
    const sentAt = Date.now();
    expect((await client.pull(10, 30_000)).map((m) => m.body)).toEqual(["now"]);
    expect(api.stats(QUEUE)).toMatchObject({ backlog: 3, leased: 1, delayed: 2 });
    let later: string[] = [];
    await waitFor(async () => {
      later = [...later, ...(await client.pull(10, 30_000)).map((m) => m.body)];
      return later.length === 2;
    }, "delayed messages");
    expect(Date.now() - sentAt).toBeGreaterThanOrEqual(900);
    expect(later).toEqual(["later", "batch-later"]);
  });
});

describe("leases, acks and retries", () => {
  test("an expired lease redelivers with attempts 2 and a new lease id; Cloudflare still accepts the late ack", async () => {
    const { api, client, url } = start();
    api.send(QUEUE, [{ body: { job: 1 } }]);
    const [first] = await client.pull(1, 200);
    expect(first?.attempts).toBe(1);
    expect(await client.pull(1, 200)).toEqual([]);
    await Bun.sleep(250);
    const [second] = await client.pull(1, 30_000);
    expect(second?.id).toBe(first?.id as string);
    expect(second?.attempts).toBe(2);
    expect(second?.lease_id).not.toBe(first?.lease_id as string);

    // A stale retry must not take the message from its current holder.
    const staleRetry = await post(url("/ack"), {
      retries: [{ lease_id: first?.lease_id, delay_seconds: 0 }],
    });
    const staleResult = (await readBody(staleRetry, AckSchema)).result;
    expect(staleResult).toMatchObject({ ackCount: 0, retryCount: 0 });
    expect(Object.keys(staleResult.warnings)).toEqual([first?.lease_id as string]);
    expect(api.stats(QUEUE)).toMatchObject({ backlog: 1, leased: 1 });

    // "If a consumer acknowledges a message by its lease ID after the visibility timeout is
    // reached, Queues will still accept that acknowledgment" — even after a redelivery.
    const lateAck = await post(url("/ack"), { acks: [{ lease_id: first?.lease_id }] });
    expect((await readBody(lateAck, AckSchema)).result).toEqual({
      ackCount: 1,
      retryCount: 0,
      warnings: {},
    });
    expect(api.stats(QUEUE)).toMatchObject({ backlog: 0, acked: 1 });
    // The current holder's ack then succeeds too, uncounted, with a warning.
    const holderAck = await post(url("/ack"), { acks: [{ lease_id: second?.lease_id }] });
    expect(holderAck.status).toBe(200);
    const holderResult = (await readBody(holderAck, AckSchema)).result;
    expect(holderResult).toMatchObject({ ackCount: 0, retryCount: 0 });
    expect(Object.keys(holderResult.warnings)).toEqual([second?.lease_id as string]);
    await client.ack([second?.lease_id as string], []);
    expect(api.stats(QUEUE).acked).toBe(1);
  });

  test("an ack removes the message for good", async () => {
    const { api, client } = start();
    api.send(QUEUE, [{ body: 1 }, { body: 2 }]);
    const pulled = await client.pull(10, 100);
    await client.ack([pulled[0]?.lease_id as string], []);
    expect(api.stats(QUEUE)).toMatchObject({ backlog: 1, acked: 1 });
    await Bun.sleep(150);
    const again = await client.pull(10, 30_000);
    expect(again.map((m) => [m.id, m.attempts])).toEqual([[pulled[1]?.id as string, 2]]);
  });

  test("a retry with delay_seconds 1 hides the message about a second, then redelivers it", async () => {
    const { api, client } = start();
    api.send(QUEUE, [{ body: "r", contentType: "text" }]);
    const [first] = await client.pull(1, 30_000);
    const retriedAt = Date.now();
    await client.ack([], [{ lease_id: first?.lease_id as string, delay_seconds: 1 }]);
    expect(await client.pull(1, 30_000)).toEqual([]);
    expect(api.stats(QUEUE)).toMatchObject({ backlog: 1, leased: 0, delayed: 1 });
    let again: Awaited<ReturnType<QueuesApi["pull"]>> = [];
    await waitFor(async () => {
      again = await client.pull(1, 30_000);
      return again.length > 0;
    }, "redelivery after the retry delay");
    const waited = Date.now() - retriedAt;
    expect(waited).toBeGreaterThanOrEqual(950);
    expect(waited).toBeLessThan(2000);
    expect(again[0]?.attempts).toBe(2);
    // delay_seconds 0: visible again at once.
    await client.ack([], [{ lease_id: again[0]?.lease_id as string, delay_seconds: 0 }]);
    expect((await client.pull(1, 30_000))[0]?.attempts).toBe(3);
  });

  test("unknown lease ids are reported as warnings, not errors", async () => {
    const { client, url } = start();
    await client.ack(["never-issued"], [{ lease_id: "also-never", delay_seconds: 0 }]);
    const response = await post(url("/ack"), { acks: [{ lease_id: "never-issued" }] });
    expect((await readBody(response, AckSchema)).result).toEqual({
      ackCount: 0,
      retryCount: 0,
      warnings: { "never-issued": expect.any(String) },
    });
  });
});

describe("dead-lettering", () => {
  test("after maxRetries the message goes to deadLetter exactly once, with its body and attempts", async () => {
    const dead: DeadLettered[][] = [];
    const { api, client } = start({
      maxRetries: 2,
      deadLetter: async (messages) => {
        dead.push(messages);
      },
    });
    const job = detectMessage();
    api.send(QUEUE, [{ body: job }]);
    for (const expected of [1, 2, 3]) {
      const [message] = await client.pull(10, 30_000);
      expect(message?.attempts).toBe(expected);
      await client.ack([], [{ lease_id: message?.lease_id as string, delay_seconds: 0 }]);
    }
    await waitFor(() => dead.length > 0, "dead-letter call");
    expect(dead).toHaveLength(1);
    expect(dead[0]).toEqual([
      { id: expect.stringMatching(/^[0-9a-f]{32}$/), body: job, contentType: "json", attempts: 3 },
    ]);
    expect(await client.pull(10, 30_000)).toEqual([]);
    expect(api.stats(QUEUE)).toEqual({ backlog: 0, leased: 0, delayed: 0, deadLettered: 1, acked: 0 });
    await Bun.sleep(50);
    expect(dead).toHaveLength(1);
  });

  test("lease expiries spend retries too; the next pull dead-letters instead of delivering", async () => {
    const dead: DeadLettered[] = [];
    const { api, client } = start({
      maxRetries: 1,
      deadLetter: async (messages) => {
        dead.push(...messages);
      },
    });
    api.send(QUEUE, [{ body: "expiring", contentType: "text" }]);
    expect((await client.pull(1, 100))[0]?.attempts).toBe(1);
    await Bun.sleep(130);
    expect((await client.pull(1, 100))[0]?.attempts).toBe(2);
    await Bun.sleep(130);
    expect(await client.pull(1, 100)).toEqual([]);
    await waitFor(() => dead.length === 1, "dead-letter after the last lease expired");
    expect(dead[0]).toMatchObject({ body: "expiring", contentType: "text", attempts: 2 });
    expect(api.stats(QUEUE)).toMatchObject({ backlog: 0, deadLettered: 1 });
  });

  test("without deadLetter, spent messages are dropped and counted", async () => {
    const { api, client } = start({ maxRetries: 0 });
    api.send(QUEUE, [{ body: 1 }]);
    const [message] = await client.pull(1, 30_000);
    await client.ack([], [{ lease_id: message?.lease_id as string, delay_seconds: 0 }]);
    await waitFor(() => api.stats(QUEUE).deadLettered === 1, "drop");
    expect(api.stats(QUEUE).backlog).toBe(0);
    // An expired last lease is noticed by stats() too, with no pull and no timer.
    api.send(QUEUE, [{ body: 2 }]);
    expect((await client.pull(1, 50))[0]?.attempts).toBe(1);
    await Bun.sleep(80);
    expect(api.stats(QUEUE)).toEqual({ backlog: 0, leased: 0, delayed: 0, deadLettered: 2, acked: 0 });
  });

  test("a failing deadLetter keeps the message and tries again; it is never delivered meanwhile", async () => {
    const calls: DeadLettered[][] = [];
    const { api, client } = start({
      maxRetries: 0,
      deadLetter: async (messages) => {
        calls.push(messages);
        if (calls.length === 1) throw new Error("dead-letter queue unavailable");
      },
    });
    api.send(QUEUE, [{ body: { keep: true } }]);
    const [message] = await client.pull(1, 30_000);
    await client.ack([], [{ lease_id: message?.lease_id as string, delay_seconds: 0 }]);
    await waitFor(() => calls.length === 1, "first dead-letter attempt");
    expect(await client.pull(10, 30_000)).toEqual([]);
    expect(api.stats(QUEUE)).toMatchObject({ backlog: 1, deadLettered: 0 });
    await waitFor(() => calls.length === 2, "second dead-letter attempt", 3000);
    expect(calls[1]).toEqual(calls[0] as DeadLettered[]);
    expect(calls[1]?.[0]).toMatchObject({ id: message?.id as string, body: { keep: true }, attempts: 1 });
    await waitFor(() => api.stats(QUEUE).deadLettered === 1, "dead-lettered");
    expect(api.stats(QUEUE).backlog).toBe(0);
    expect(await client.pull(10, 30_000)).toEqual([]);
    expect(calls).toHaveLength(2);
  });
});

describe("errors answer the v4 envelope", () => {
  test("401 without the bearer token, also through the real client", async () => {
    const { api, url } = start();
    await expectError(await post(url("/pull"), {}, null), 401, 10000);
    await expectError(await post(url("/pull"), {}, "wrong-token"), 401, 10000);
    const wrongClient = new QueuesApi({
      apiBase: api.apiBase,
      accountId: ACCOUNT,
      queueId: QUEUE,
      apiToken: "x",
    });
    const error = await wrongClient.pull(1, 1000).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(QueuesApiError);
    expect((error as QueuesApiError).status).toBe(401);
    expect((error as QueuesApiError).message).toContain("10000 Authentication error");
  });

  test("404 for an unknown account, queue or route; 405 for another method", async () => {
    const { api, url } = start();
    await expectError(await post(url("/pull", QUEUE, "another-account"), {}), 404, 7003);
    await expectError(await post(url("/pull", "no-such-queue"), {}), 404, 10104);
    await expectError(await post(url("/peekaboo"), {}), 404, 7003);
    await expectError(await post(`${api.apiBase}/accounts/${ACCOUNT}/queues`, {}), 404, 7003);
    const get = await fetch(url("/pull"), { headers: { authorization: `Bearer ${TOKEN}` } });
    await expectError(get, 405, 7001);
  });

  test("400 for bad JSON and out-of-range parameters", async () => {
    const { api, url } = start();
    api.send(QUEUE, [{ body: 1 }]);
    await expectError(await post(url("/pull"), "{not json"), 400, 10208);
    await expectError(await post(url("/pull"), "[1]"), 400, 10207);
    for (const batch_size of [0, 101, 1.5, "5"]) {
      await expectError(await post(url("/pull"), { batch_size }), 400, 10207);
    }
    for (const visibility_timeout_ms of [0, 43_200_001, -5]) {
      await expectError(await post(url("/pull"), { visibility_timeout_ms }), 400, 10207);
    }
    // The extremes are accepted.
    expect((await post(url("/pull"), { batch_size: 100, visibility_timeout_ms: 43_200_000 })).status).toBe(
      200,
    );
    for (const delay_seconds of [-1, 43_201, 0.5]) {
      await expectError(await post(url("/ack"), { retries: [{ lease_id: "x", delay_seconds }] }), 400, 10203);
      await expectError(await post(url(), { body: 1, delay_seconds }), 400, 10203);
      await expectError(await post(url("/batch"), { messages: [{ body: 1 }], delay_seconds }), 400, 10203);
    }
    await expectError(await post(url("/ack"), { acks: [{}] }), 400, 10207);
    await expectError(await post(url("/ack"), { acks: "x" }), 400, 10207);
    await expectError(await post(url(), { body: 1, content_type: "v8" }), 400, 10203);
    await expectError(await post(url(), { body: 1, content_type: "text" }), 400, 10207);
    await expectError(await post(url(), { content_type: "json" }), 400, 10207);
    await expectError(await post(url("/batch"), { messages: {} }), 400, 10207);
    const tooMany = Array.from({ length: 101 }, () => ({ body: 1 }));
    await expectError(await post(url("/batch"), { messages: tooMany }), 400, 10206);
    const big = "x".repeat(128 * 1024 + 1);
    await expectError(await post(url(), { body: big, content_type: "text" }), 400, 10204);
    const half = "x".repeat(100 * 1024);
    const heavy = [half, half, half].map((body) => ({ body, content_type: "text" }));
    await expectError(await post(url("/batch"), { messages: heavy }), 400, 10205);
    // Nothing refused was enqueued; a refused batch is all or nothing.
    expect(api.stats(QUEUE).backlog).toBe(1);
    expect(() => api.send(QUEUE, [{ body: 2 }, { body: 3, delaySeconds: 43_201 }])).toThrow(/delay_seconds/);
    expect(() => api.send("nope", [{ body: 1 }])).toThrow(/not served/);
    expect(api.stats(QUEUE).backlog).toBe(1);
  });

  test("413 beyond the request body limit", async () => {
    const { api, url } = start({}, { maxBodyBytes: 1024 });
    await expectError(await post(url(), { body: "x".repeat(2048), content_type: "text" }), 413, 10205);
    // Without a declared length the stream is cut off too.
    const chunks = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < 4; i++) controller.enqueue(new TextEncoder().encode("x".repeat(512)));
        controller.close();
      },
    });
    const streamed = await fetch(url(), {
      method: "POST",
      headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
      body: chunks,
    });
    await expectError(streamed, 413, 10205);
    expect(api.stats(QUEUE).backlog).toBe(0);
  });
});

describe("the inference service's PullConsumer against the local API", () => {
  test("consumes, acks some, retries others to the dead-letter queue, and stops", async () => {
    const dead: DeadLettered[] = [];
    const { api, client } = start({
      maxRetries: 2,
      deadLetter: async (messages) => {
        dead.push(...messages);
      },
    });
    const [plain1, plain2, retriedOnce, alwaysFails] = [
      detectMessage(),
      detectMessage(),
      detectMessage(),
      detectMessage(),
    ];
    api.send(QUEUE, [
      { body: plain1 },
      { body: plain2 },
      { body: retriedOnce },
      { body: alwaysFails },
      { body: "not json at all", contentType: "text" },
    ]);
    const seen: Array<[string, number]> = [];
    const ack: MessageOutcome = { outcome: "ack" };
    const consumer = new PullConsumer(
      client,
      async (message, attempts) => {
        seen.push([message.jobId, attempts]);
        if (message.jobId === alwaysFails.jobId) return { outcome: "retry", reason: "always fails" };
        if (message.jobId === retriedOnce.jobId && attempts === 1)
          return { outcome: "retry", reason: "transient" };
        return ack;
      },
      {
        batchSize: 10,
        visibilityTimeoutMs: 30_000,
        maxInFlight: 4,
        idleMs: 10,
        backoffBaseMs: 5,
        backoffMaxMs: 20,
        retryBaseDelaySeconds: 0,
        retryMaxDelaySeconds: 0,
      },
      silentLogger,
      new Metrics({ defaultMetrics: false }),
    );
    consumers.push(consumer);
    consumer.start();
    await waitFor(() => {
      const stats = api.stats(QUEUE);
      return stats.acked === 3 && stats.deadLettered === 2;
    }, "every message settled");
    await consumer.stop();

    const attemptsOf = (job: DetectMessage) => seen.filter(([id]) => id === job.jobId).map(([, n]) => n);
    expect(attemptsOf(plain1)).toEqual([1]);
    expect(attemptsOf(plain2)).toEqual([1]);
    expect(attemptsOf(retriedOnce)).toEqual([1, 2]);
    expect(attemptsOf(alwaysFails)).toEqual([1, 2, 3]);
    expect(dead.map((m) => [m.body, m.contentType, m.attempts])).toEqual(
      expect.arrayContaining([
        [alwaysFails, "json", 3],
        ["not json at all", "text", 3],
      ]),
    );
    expect(dead).toHaveLength(2);
    expect(api.stats(QUEUE)).toEqual({ backlog: 0, leased: 0, delayed: 0, deadLettered: 2, acked: 3 });
  });
});
