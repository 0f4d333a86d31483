import type { Tx } from "@db/client-worker";
import { webhookDeliveries, webhookEvent, webhooks } from "@db/schema";
import { type AnyColumn, and, eq, type SQL, type Subquery, sql } from "drizzle-orm";
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
 * A UUIDv7 made by PostgreSQL, which has no `uuidv7()` before version 18: a random (v4) UUID with
 * the current Unix time in milliseconds over its first 48 bits and its version nibble set to 7,
 * so delivery rows written in SQL keep the append-only ids every other row gets from `uuidv7()`.
 */
const newUuidv7 = sql`encode(set_bit(set_bit(overlay(uuid_send(gen_random_uuid()) placing substring(int8send(floor(extract(epoch from clock_timestamp()) * 1000)::bigint) from 3) from 1 for 6), 52, 1), 53, 1), 'hex')::uuid`;

/**
 * One statement that records a pending delivery per webhook subscribed to `event` for each row of
 * `from` (a CTE: the job a result just finished, and nothing when it finished none), with the
 * payload `WebhookPayload` describes, built in SQL from `data` (a jsonb expression over `from`).
 * Meant as a CTE of the statement that finishes the job, so the deliveries commit with it and are
 * written once. It returns the delivery ids to enqueue after the commit.
 */
export function insertDeliveries(
  from: Subquery,
  ownerId: AnyColumn,
  event: Exclude<WebhookEvent, `report.${string}`>,
  data: SQL,
): SQL {
  const createdAt = new Date().toISOString();
  const eventType = sql`${event}::${sql.identifier(webhookEvent.enumName)}`;
  return sql`insert into ${webhookDeliveries} (id, webhook_id, event, payload)
    select target.id, target.webhook_id, ${eventType},
      jsonb_build_object('id', target.id, 'type', ${event}::text, 'createdAt', ${createdAt}::text, 'data', target.data)
    from (
      select ${newUuidv7} as id, ${webhooks.id} as webhook_id, ${data} as data
      from ${from} join ${webhooks}
        on ${webhooks.ownerId} = ${ownerId} and ${eventType} = any(${webhooks.events})
    ) as target
    returning id`;
}

/**
 * One pending delivery per webhook of the owner subscribed to `event`, inside an interactive
 * transaction (reports: `report.ready`). Returns the delivery ids to enqueue once it has committed.
 */
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
