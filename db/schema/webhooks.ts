import { sql } from "drizzle-orm";
import { index, integer, jsonb, pgEnum, pgTable, text, uuid } from "drizzle-orm/pg-core";
import { createdAt, id, timestamptz, updatedAt } from "./columns";
import { users } from "./users";

export const webhookEvent = pgEnum("webhook_event", ["job.succeeded", "job.failed", "report.ready"]);
export const deliveryStatus = pgEnum("webhook_delivery_status", ["pending", "succeeded", "failed"]);

export const webhooks = pgTable(
  "webhooks",
  {
    id: id(),
    ownerId: uuid()
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    url: text().notNull(),
    events: webhookEvent().array().notNull(),
    /** HMAC-SHA256 signing secret; returned to the owner once, at creation. */
    secret: text().notNull(),
    createdAt: createdAt(),
  },
  (t) => [index("webhooks_owner_created_idx").on(t.ownerId, t.createdAt.desc())],
);

export const webhookDeliveries = pgTable(
  "webhook_deliveries",
  {
    id: id(),
    webhookId: uuid()
      .notNull()
      .references(() => webhooks.id, { onDelete: "cascade" }),
    event: webhookEvent().notNull(),
    payload: jsonb().notNull(),
    status: deliveryStatus().notNull().default("pending"),
    attempts: integer().notNull().default(0),
    lastStatusCode: integer(),
    lastError: text(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
    deliveredAt: timestamptz(),
  },
  (t) => [
    index("webhook_deliveries_webhook_created_idx").on(t.webhookId, t.createdAt.desc()),
    // The operations metrics count deliveries that failed for good in the last hour; failures are
    // few, so a partial index keeps that count small at any volume.
    index("webhook_deliveries_failed_idx").on(t.updatedAt).where(sql`${t.status} = 'failed'`),
  ],
);
