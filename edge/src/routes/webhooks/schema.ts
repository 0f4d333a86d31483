import { deliveryStatus } from "@db/schema";
import { webhookEvents } from "@edge/webhooks/deliveries";
import { z } from "@hono/zod-openapi";

export const WebhookSchema = z
  .object({
    id: z.uuid(),
    url: z.string().openapi({ example: "https://qa.example.com/hooks/defects" }),
    events: z.array(z.enum(webhookEvents)),
    createdAt: z.iso.datetime(),
  })
  .openapi("Webhook");

export const CreateWebhookSchema = z
  .object({
    url: z.string().trim().max(2048).openapi({
      description: "Where deliveries are POSTed: https and a public host",
      example: "https://qa.example.com/hooks/defects",
    }),
    events: z
      .array(z.enum(webhookEvents))
      .min(1)
      .openapi({ example: ["job.succeeded", "job.failed"] }),
  })
  .openapi("CreateWebhook");

export const CreatedWebhookSchema = z
  .object({
    webhook: WebhookSchema,
    secret: z.string().openapi({
      description: "Signing secret (`whsec_...`). Shown once; see docs/api.md, Verifying signatures.",
    }),
  })
  .openapi("CreatedWebhook");

export const WebhookDeliverySchema = z
  .object({
    id: z.uuid().openapi({ description: "Also the `Webhook-Id` header and the payload's `id`" }),
    event: z.enum(webhookEvents),
    status: z.enum(deliveryStatus.enumValues),
    attempts: z.number().int(),
    lastStatusCode: z.number().int().nullable(),
    lastError: z.string().nullable(),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
    deliveredAt: z.iso.datetime().nullable(),
  })
  .openapi("WebhookDelivery");

export const WebhookPageSchema = z.object({ items: z.array(WebhookSchema), nextCursor: z.uuid().nullable() });

export const WebhookDeliveryPageSchema = z.object({
  items: z.array(WebhookDeliverySchema),
  nextCursor: z.uuid().nullable(),
});

export const WebhookIdParamSchema = z.object({ id: z.uuid().openapi({ param: { name: "id", in: "path" } }) });

/** Keyset pagination over UUIDv7 ids, newest first. */
export const PageQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(50).openapi({ example: 50 }),
  cursor: z.uuid().optional().openapi({ description: "`nextCursor` of the previous page" }),
});

type WebhookRow = { id: string; url: string; events: string[]; createdAt: Date };

export function toWebhook(row: WebhookRow): z.infer<typeof WebhookSchema> {
  return {
    id: row.id,
    url: row.url,
    events: row.events as z.infer<typeof WebhookSchema>["events"],
    createdAt: row.createdAt.toISOString(),
  };
}

type DeliveryRow = {
  id: string;
  event: string;
  status: string;
  attempts: number;
  lastStatusCode: number | null;
  lastError: string | null;
  createdAt: Date;
  updatedAt: Date;
  deliveredAt: Date | null;
};

export function toDelivery(row: DeliveryRow): z.infer<typeof WebhookDeliverySchema> {
  return {
    id: row.id,
    event: row.event as z.infer<typeof WebhookDeliverySchema>["event"],
    status: row.status as z.infer<typeof WebhookDeliverySchema>["status"],
    attempts: row.attempts,
    lastStatusCode: row.lastStatusCode,
    lastError: row.lastError,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
    deliveredAt: row.deliveredAt?.toISOString() ?? null,
  };
}
