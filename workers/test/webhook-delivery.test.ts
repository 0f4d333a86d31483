import { afterAll, beforeAll, expect, test } from "bun:test";
import { createLogger } from "@common/logger";
import type { Db } from "@db/client-worker";
import { users, webhookDeliveries, webhooks } from "@db/schema";
import { configSchema } from "@edge/config";
import type { Bindings } from "@edge/env";
import { sharedServices } from "@scripts/testing/shared-services";
import { createTestDatabase, STARTUP_TIMEOUT_MS, type TestDatabase } from "@scripts/testing/test-worker";
import { deliverWebhooks, WEBHOOK_CONCURRENT_DELIVERIES } from "@workers/queues/webhook-delivery";
import { eq } from "drizzle-orm";

// A Worker invocation may hold only 6 outgoing connections at once; a seventh fetch waits inside
// the runtime with its timeout running. A batch larger than that must never have more deliveries
// in flight than the runtime lets through.

const BATCH = 10;
/** Long enough for every delivery the consumer starts at once to overlap at the receiver. */
const RECEIVER_HOLD_MS = 150;

let database: TestDatabase;
let inFlight = 0;
let peak = 0;
const receiver = Bun.serve({
  port: 0,
  hostname: "127.0.0.1",
  async fetch() {
    inFlight++;
    peak = Math.max(peak, inFlight);
    await Bun.sleep(RECEIVER_HOLD_MS);
    inFlight--;
    return new Response(null, { status: 204 });
  },
});

beforeAll(async () => {
  database = await createTestDatabase();
}, STARTUP_TIMEOUT_MS);

afterAll(async () => {
  receiver.stop(true);
  await database?.drop();
});

test(`a batch of ${BATCH} deliveries keeps at most ${WEBHOOK_CONCURRENT_DELIVERIES} requests in flight`, async () => {
  expect(WEBHOOK_CONCURRENT_DELIVERIES).toBe(6);
  const { db } = database;
  const [user] = await db
    .insert(users)
    .values({ email: `hooks-${crypto.randomUUID()}@example.com`, passwordHash: "$argon2id$fixture" })
    .returning();
  const [hook] = await db
    .insert(webhooks)
    .values({
      ownerId: user?.id as string,
      url: `http://127.0.0.1:${receiver.port}/hook`,
      events: ["job.succeeded"],
      secret: "whsec_c2VjcmV0",
    })
    .returning();
  const deliveries = await db
    .insert(webhookDeliveries)
    .values(
      Array.from({ length: BATCH }, (_, i) => ({
        webhookId: hook?.id as string,
        event: "job.succeeded" as const,
        payload: { n: i },
      })),
    )
    .returning();

  let acked = 0;
  let retried = 0;
  const messages = deliveries.map((delivery) => ({
    id: delivery.id,
    timestamp: new Date(),
    body: { deliveryId: delivery.id },
    attempts: 1,
    ack: () => {
      acked++;
    },
    retry: () => {
      retried++;
    },
  }));
  const batch = {
    queue: "webhooks",
    messages,
    ackAll() {},
    retryAll() {},
  } as unknown as MessageBatch<unknown>;

  const { jwtKeys, secrets } = await sharedServices();
  const config = configSchema.parse({
    DATABASE_URL: database.url,
    JWT_KEYS: jwtKeys,
    INFERENCE_EDGE_URL: "http://127.0.0.1:1",
    INFERENCE_CALLBACK_TOKEN: secrets.callbackToken,
    OPERATIONS_TOKEN: secrets.operationsToken,
    IMAGE_URL_SIGNING_KEY: secrets.imageUrlSigningKey,
    // The receiver is on loopback.
    WEBHOOK_ALLOW_INSECURE_URLS: "true",
  });
  await deliverWebhooks(batch, {
    env: {} as Bindings,
    config,
    // The same drizzle query API as the Worker's HTTP driver, over a direct connection.
    db: db as unknown as Db,
    logger: createLogger("error"),
  });

  expect({ acked, retried }).toEqual({ acked: BATCH, retried: 0 });
  expect(peak).toBe(WEBHOOK_CONCURRENT_DELIVERIES);
  const rows = await db
    .select()
    .from(webhookDeliveries)
    .where(eq(webhookDeliveries.webhookId, hook?.id as string));
  expect(rows.map((row) => row.status)).toEqual(Array(BATCH).fill("succeeded"));
}, 30_000);
