import { afterAll, describe, expect, test } from "bun:test";
import { createHmac, timingSafeEqual } from "node:crypto";
import { JobStatusSchema } from "@edge/routes/jobs/schema";
import {
  CreatedWebhookSchema,
  WebhookDeliveryPageSchema,
  WebhookPageSchema,
} from "@edge/routes/webhooks/schema";
import { webhookEvents } from "@edge/webhooks/deliveries";
import { createApiKey, signedInUser } from "@scripts/testing/auth-fixtures";
import {
  arrangeJob,
  eventually,
  failedResult,
  postResult,
  succeededResult,
} from "@scripts/testing/job-fixtures";
import { OpenApiDocumentSchema } from "@scripts/testing/openapi-document";
import { expectError, parseBody, readBody } from "@scripts/testing/responses";
import { useTestWorker } from "@scripts/testing/test-worker";
import { z } from "zod";

/**
 * A job event's delivery, as `WebhookPayload` (edge/src/webhooks/deliveries.ts) shapes it: the
 * receiver reads the job's id, the tests match the rest of `data.job`, which is kept whole.
 */
const JobDeliverySchema = z.object({
  id: z.string(),
  type: z.enum(webhookEvents),
  createdAt: z.iso.datetime(),
  data: z.object({ job: z.looseObject({ id: z.uuid(), status: JobStatusSchema }) }),
});

type Received = { headers: Headers; body: string; at: number };
const received: Received[] = [];
/** Receiver behaviour by job id: answer 500 to the first attempt, or 503 to every attempt. */
const failFirstFor = new Set<string>();
const alwaysFailFor = new Set<string>();
const receiver = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  fetch: async (request) => {
    const body = await request.text();
    received.push({ headers: request.headers, body, at: Date.now() });
    const jobId = parseBody(body, JobDeliverySchema, "webhook delivery").data.job.id;
    if (alwaysFailFor.has(jobId)) return new Response("down", { status: 503 });
    if (failFirstFor.delete(jobId)) return new Response("try later", { status: 500 });
    return new Response(null, { status: 204 });
  },
});
afterAll(() => receiver.stop(true));

const worker = useTestWorker({
  vars: {
    WEBHOOK_ALLOW_INSECURE_URLS: "true",
    WEBHOOK_RETRY_BASE_DELAY_SECONDS: "1",
    WEBHOOK_RETRY_MAX_DELAY_SECONDS: "1",
    MAX_WEBHOOKS_PER_USER: "3",
  },
  queueConsumers: {
    webhooks: { max_batch_timeout: 0.2, max_retries: 2 },
    "webhooks-dlq": { max_batch_timeout: 0.2 },
  },
});

async function createWebhook(auth: string, body: unknown, target = worker.current) {
  return target.fetch("/v1/webhooks", {
    method: "POST",
    headers: { Authorization: auth, "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
}

async function deliveries(auth: string, webhookId: string) {
  return worker.current.fetch(`/v1/webhooks/${webhookId}/deliveries`, { headers: { Authorization: auth } });
}

async function deliveryLog(auth: string, webhookId: string) {
  return (await readBody(await deliveries(auth, webhookId), WebhookDeliveryPageSchema)).items;
}

/** Standard Webhooks verification, written independently of the edge's signer. */
function verify(secret: string, message: Received): boolean {
  const id = message.headers.get("webhook-id") ?? "";
  const timestamp = message.headers.get("webhook-timestamp") ?? "";
  const [version, signature] = (message.headers.get("webhook-signature") ?? "").split(",");
  const key = Buffer.from(secret.replace(/^whsec_/, ""), "base64");
  const expected = createHmac("sha256", key).update(`${id}.${timestamp}.${message.body}`).digest();
  const given = Buffer.from(signature ?? "", "base64");
  return version === "v1" && given.length === expected.length && timingSafeEqual(given, expected);
}

describe("registering webhooks", () => {
  test("create returns the secret once; list never shows it", async () => {
    const { auth } = await signedInUser(worker.current);
    const response = await createWebhook(auth, {
      url: receiver.url.href,
      events: ["job.succeeded", "job.failed"],
    });
    expect(response.status).toBe(201);
    const created = await readBody(response, CreatedWebhookSchema);
    expect(created.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(response.headers.get("location")).toBe(`/v1/webhooks/${created.webhook.id}`);

    const list = await worker.current.fetch("/v1/webhooks", { headers: { Authorization: auth } });
    const text = await list.text();
    expect(list.status).toBe(200);
    expect(JSON.parse(text).items).toEqual([created.webhook]);
    expect(text).not.toContain(created.secret);
  });

  test("delete removes it; deleting again or someone else's → 404", async () => {
    const alice = await signedInUser(worker.current);
    const bob = await signedInUser(worker.current);
    const { webhook } = await readBody(
      await createWebhook(alice.auth, { url: receiver.url.href, events: ["job.failed"] }),
      CreatedWebhookSchema,
    );
    const byBob = await worker.current.fetch(`/v1/webhooks/${webhook.id}`, {
      method: "DELETE",
      headers: { Authorization: bob.auth },
    });
    expect(byBob.status).toBe(404);
    const mine = await worker.current.fetch(`/v1/webhooks/${webhook.id}`, {
      method: "DELETE",
      headers: { Authorization: alice.auth },
    });
    expect(mine.status).toBe(204);
    const again = await worker.current.fetch(`/v1/webhooks/${webhook.id}`, {
      method: "DELETE",
      headers: { Authorization: alice.auth },
    });
    expect(again.status).toBe(404);
  });

  test("the per-user limit is enforced with webhook_limit_reached", async () => {
    const { auth } = await signedInUser(worker.current);
    for (let i = 0; i < 3; i++) {
      expect((await createWebhook(auth, { url: receiver.url.href, events: ["job.failed"] })).status).toBe(
        201,
      );
    }
    const response = await createWebhook(auth, { url: receiver.url.href, events: ["job.failed"] });
    await expectError(response, 409, "webhook_limit_reached");
  });

  test("bad bodies → validation_failed; an API key without jobs:write → insufficient_scope", async () => {
    const { auth } = await signedInUser(worker.current);
    for (const body of [
      { url: receiver.url.href, events: [] },
      { url: receiver.url.href, events: ["job.started"] },
      {},
    ]) {
      const response = await createWebhook(auth, body);
      await expectError(response, 400, "validation_failed");
    }
    const { key } = await createApiKey(worker.current, auth, ["jobs:read"]);
    const response = await createWebhook(`Bearer ${key}`, { url: receiver.url.href, events: ["job.failed"] });
    await expectError(response, 403, "insufficient_scope");
    const anonymous = await worker.current.fetch("/v1/webhooks");
    expect(anonymous.status).toBe(401);
  });
});

describe("OpenAPI", () => {
  test("the webhook routes are documented with their error responses", async () => {
    const doc = await readBody(await worker.current.fetch("/openapi.json"), OpenApiDocumentSchema);
    expect(Object.keys(doc.paths["/v1/webhooks"] ?? {}).sort()).toEqual(["get", "post"]);
    expect(Object.keys(doc.paths["/v1/webhooks/{id}"]?.delete?.responses ?? {})).toEqual(
      expect.arrayContaining(["204", "401", "403", "404", "429"]),
    );
    expect(Object.keys(doc.paths["/v1/webhooks"]?.post?.responses ?? {})).toEqual(
      expect.arrayContaining(["201", "400", "401", "403", "409", "429"]),
    );
    expect(doc.paths["/v1/webhooks/{id}/deliveries"]?.get?.tags).toEqual(["Webhooks"]);
  });
});

describe("deliveries", () => {
  test("a finished job is delivered once per subscribed webhook, signed (Standard Webhooks)", async () => {
    const { user, auth } = await signedInUser(worker.current);
    const { webhook, secret } = await readBody(
      await createWebhook(auth, { url: receiver.url.href, events: ["job.succeeded"] }),
      CreatedWebhookSchema,
    );
    const { webhook: onlyFailures } = await readBody(
      await createWebhook(auth, { url: receiver.url.href, events: ["job.failed"] }),
      CreatedWebhookSchema,
    );
    const { jobId } = await arrangeJob(worker.current, user.id);
    await postResult(worker.current, jobId, succeededResult(jobId));

    const message = await eventually(async () => received.find((m) => m.body.includes(jobId)));
    expect(verify(secret, message)).toBe(true);
    expect(verify(secret, { ...message, body: message.body.replace("succeeded", "failed") })).toBe(false);
    const payload = parseBody(message.body, JobDeliverySchema, "webhook delivery");
    expect(payload).toMatchObject({
      id: message.headers.get("webhook-id"),
      type: "job.succeeded",
      data: { job: { id: jobId, status: "succeeded", detectionCount: 2, modelSha256: "a".repeat(64) } },
    });
    expect(Math.abs(Number(message.headers.get("webhook-timestamp")) - Date.now() / 1000)).toBeLessThan(60);

    const log = await eventually(async () => {
      const items = await deliveryLog(auth, webhook.id);
      return items[0]?.status === "succeeded" ? items : undefined;
    });
    expect(log).toHaveLength(1);
    expect(log[0]).toMatchObject({ id: payload.id, attempts: 1, lastStatusCode: 204, lastError: null });
    expect(await deliveryLog(auth, onlyFailures.id)).toEqual([]);
  });

  test("a 500 from the receiver is retried with backoff, then succeeds; attempts are logged", async () => {
    const { user, auth } = await signedInUser(worker.current);
    const { webhook, secret } = await readBody(
      await createWebhook(auth, { url: receiver.url.href, events: ["job.failed"] }),
      CreatedWebhookSchema,
    );
    const { jobId } = await arrangeJob(worker.current, user.id);
    failFirstFor.add(jobId);
    await postResult(worker.current, jobId, failedResult(jobId, true));

    const log = await eventually(async () => {
      const items = await deliveryLog(auth, webhook.id);
      return items[0]?.status === "succeeded" ? items : undefined;
    });
    expect(log[0]).toMatchObject({ status: "succeeded", attempts: 2, lastStatusCode: 204, lastError: null });
    const attempts = received.filter((m) => m.headers.get("webhook-id") === log[0]?.id);
    expect(attempts).toHaveLength(2);
    for (const attempt of attempts) expect(verify(secret, attempt)).toBe(true);
    // WEBHOOK_RETRY_BASE_DELAY_SECONDS = 1.
    expect((attempts[1]?.at ?? 0) - (attempts[0]?.at ?? 0)).toBeGreaterThanOrEqual(900);
    expect(
      parseBody(attempts[0]?.body ?? "{}", JobDeliverySchema, "webhook delivery").data.job,
    ).toMatchObject({ id: jobId, status: "failed" });
  });

  test("a delivery that never gets a 2xx ends failed with its last status and error", async () => {
    const { user, auth } = await signedInUser(worker.current);
    const { webhook } = await readBody(
      await createWebhook(auth, { url: receiver.url.href, events: ["job.succeeded"] }),
      CreatedWebhookSchema,
    );
    const { jobId } = await arrangeJob(worker.current, user.id);
    alwaysFailFor.add(jobId);
    await postResult(worker.current, jobId, succeededResult(jobId));
    const log = await eventually(async () => {
      const items = await deliveryLog(auth, webhook.id);
      return items[0]?.status === "failed" ? items : undefined;
    });
    // max_retries = 2: three attempts, then the dead-letter queue marks it failed.
    expect(log[0]).toMatchObject({
      status: "failed",
      attempts: 3,
      lastStatusCode: 503,
      lastError: "HTTP 503: down",
    });
  });

  test("the delivery log is the owner's only: 404 for another user, 400 for a malformed id", async () => {
    const alice = await signedInUser(worker.current);
    const bob = await signedInUser(worker.current);
    const { webhook } = await readBody(
      await createWebhook(alice.auth, { url: receiver.url.href, events: ["job.failed"] }),
      CreatedWebhookSchema,
    );
    expect((await deliveries(alice.auth, webhook.id)).status).toBe(200);
    const foreign = await deliveries(bob.auth, webhook.id);
    await expectError(foreign, 404, "not_found");
    const missing = await deliveries(alice.auth, crypto.randomUUID());
    expect(missing.status).toBe(404);
    const malformed = await deliveries(alice.auth, "not-a-uuid");
    expect(malformed.status).toBe(400);
    const bobsList = await readBody(
      await worker.current.fetch("/v1/webhooks", { headers: { Authorization: bob.auth } }),
      WebhookPageSchema,
    );
    expect(bobsList.items).toEqual([]);
  });
});
