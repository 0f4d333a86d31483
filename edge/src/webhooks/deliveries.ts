import type { Tx } from "@db/client-worker";
import { webhookDeliveries, webhookEvent, webhooks } from "@db/schema";
import { and, eq, sql } from "drizzle-orm";
import { uuidv7 } from "uuidv7";
import type { JobEventData } from "../jobs/events";
import type { ReportEventData } from "../reports/views";

export type WebhookEvent = (typeof webhooks.$inferSelect)["events"][number];
export const webhookEvents = webhookEvent.enumValues;

/** What each event carries: `job.*` events the job, `report.*` events the report. */
export type WebhookData = { job: JobEventData } | { report: ReportEventData };

/** Body of every delivery; `id` equals the `Webhook-Id` header and stays the same across retries. */
export type WebhookPayload = {
  id: string;
  type: WebhookEvent;
  createdAt: string;
  data: WebhookData;
};

/** Message on the `webhooks` queue: the delivery row holds everything else. */
export type WebhookMessage = { deliveryId: string };

/**
 * One pending delivery per webhook of the job's owner subscribed to `event`. Called inside the
 * transaction that finishes the job, so a finished job always has its deliveries recorded.
 * Returns the delivery ids to enqueue once the transaction has committed.
 */
export async function recordDeliveries(
  tx: Tx,
  ownerId: string,
  event: Exclude<WebhookEvent, `report.${string}`>,
  job: JobEventData,
): Promise<string[]> {
  return recordEventDeliveries(tx, ownerId, event, { job });
}

/** `recordDeliveries` for any event and its data (reports: `report.ready`). */
export async function recordEventDeliveries(
  tx: Tx,
  ownerId: string,
  event: WebhookEvent,
  data: WebhookData,
): Promise<string[]> {
  const targets = await tx
    .select({ id: webhooks.id })
    .from(webhooks)
    .where(and(eq(webhooks.ownerId, ownerId), sql`${event} = any(${webhooks.events})`));
  if (targets.length === 0) return [];
  const createdAt = new Date().toISOString();
  const rows = targets.map((target) => {
    const id = uuidv7();
    const payload: WebhookPayload = { id, type: event, createdAt, data };
    return { id, webhookId: target.id, event, payload };
  });
  await tx.insert(webhookDeliveries).values(rows);
  return rows.map((row) => row.id);
}

const SEND_BATCH_LIMIT = 100;

/** Puts deliveries on the `webhooks` queue (JSON bodies, at most 100 per sendBatch). */
export async function enqueueDeliveries(queue: Queue<unknown>, deliveryIds: string[]): Promise<void> {
  for (let i = 0; i < deliveryIds.length; i += SEND_BATCH_LIMIT) {
    await queue.sendBatch(
      deliveryIds.slice(i, i + SEND_BATCH_LIMIT).map((deliveryId) => ({
        body: { deliveryId } satisfies WebhookMessage,
        contentType: "json" as const,
      })),
    );
  }
}
