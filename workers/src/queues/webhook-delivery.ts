import { errorMessage } from "@common/logger";
import { retryDelaySeconds } from "@common/retry";
import { webhookDeliveries, webhooks } from "@db/schema";
import { ApiError } from "@edge/errors";
import { signWebhook } from "@edge/webhooks/signature";
import { checkWebhookUrl } from "@edge/webhooks/url-policy";
import { and, eq, sql } from "drizzle-orm";
import pLimit from "p-limit";
import { z } from "zod";
import type { HandlerContext } from "./context";

const WebhookMessageSchema = z.object({ deliveryId: z.uuid() });

/** Receivers' answers are not read beyond this; only the status code matters. */
const MAX_ERROR_BODY = 200;

/** A failed attempt is `final` when no retry can succeed (the URL is no longer allowed). */
type Attempt =
  | { ok: true; status: number }
  | { ok: false; status: number | null; error: string; final?: boolean };

/**
 * Messages of one batch delivered at once. A Worker invocation may have only 6 outgoing
 * connections open at a time (fetch and the database's HTTP requests alike); a seventh waits for
 * one to close, and its timeout runs while it waits. Each delivery has at most one request open at
 * a time, so this many deliveries never queue behind each other inside the runtime, whatever the
 * batch size (`max_batch_size` in wrangler.toml).
 */
export const WEBHOOK_CONCURRENT_DELIVERIES = 6;

/**
 * Consumer of `webhooks`: one signed POST per message. 2xx marks the delivery succeeded; anything
 * else records the attempt and retries with exponential backoff. When the queue's retries are
 * spent the message moves to `webhooks-dlq`, whose handler marks the delivery failed.
 */
export async function deliverWebhooks(batch: MessageBatch<unknown>, ctx: HandlerContext): Promise<void> {
  const limit = pLimit(WEBHOOK_CONCURRENT_DELIVERIES);
  await Promise.all(batch.messages.map((message) => limit(() => deliverOne(message, ctx))));
}

async function deliverOne(message: Message<unknown>, ctx: HandlerContext): Promise<void> {
  const { config, db, logger } = ctx;
  const parsed = WebhookMessageSchema.safeParse(message.body);
  if (!parsed.success) {
    logger.error("unreadable webhook message dropped", { messageId: message.id });
    message.ack();
    return;
  }
  const { deliveryId } = parsed.data;
  try {
    const [row] = await db
      .select({
        status: webhookDeliveries.status,
        payload: webhookDeliveries.payload,
        url: webhooks.url,
        secret: webhooks.secret,
      })
      .from(webhookDeliveries)
      .innerJoin(webhooks, eq(webhooks.id, webhookDeliveries.webhookId))
      .where(eq(webhookDeliveries.id, deliveryId));
    // Webhook deleted (its deliveries with it) or delivery already settled by an earlier copy.
    if (row?.status !== "pending") {
      message.ack();
      return;
    }
    const attempt = await post(row.url, row.secret, deliveryId, JSON.stringify(row.payload), ctx);
    const recorded = {
      attempts: sql`greatest(${webhookDeliveries.attempts}, ${message.attempts})`,
      lastStatusCode: attempt.status,
      updatedAt: sql`now()`,
    };
    const pending = and(eq(webhookDeliveries.id, deliveryId), eq(webhookDeliveries.status, "pending"));
    if (attempt.ok) {
      await db
        .update(webhookDeliveries)
        .set({ ...recorded, status: "succeeded", lastError: null, deliveredAt: sql`now()` })
        .where(pending);
      message.ack();
      return;
    }
    if (attempt.final) {
      await db
        .update(webhookDeliveries)
        .set({ ...recorded, status: "failed", lastError: attempt.error })
        .where(pending);
      logger.warn("webhook delivery refused by the URL policy", { deliveryId, error: attempt.error });
      message.ack();
      return;
    }
    await db
      .update(webhookDeliveries)
      .set({ ...recorded, lastError: attempt.error })
      .where(pending);
    const delaySeconds = retryDelaySeconds(
      message.attempts,
      config.WEBHOOK_RETRY_BASE_DELAY_SECONDS,
      config.WEBHOOK_RETRY_MAX_DELAY_SECONDS,
    );
    logger.warn("webhook delivery failed; retrying", {
      deliveryId,
      attempts: message.attempts,
      delaySeconds,
      error: attempt.error,
    });
    message.retry({ delaySeconds });
  } catch (error) {
    logger.error("webhook delivery not recorded; retrying", { deliveryId, error: errorMessage(error) });
    message.retry({ delaySeconds: retryDelaySeconds(message.attempts, 5, 300) });
  }
}

async function post(
  url: string,
  secret: string,
  id: string,
  body: string,
  { config }: HandlerContext,
): Promise<Attempt> {
  try {
    // Checked again at send time: the name may point elsewhere now, or the policy be stricter.
    await checkWebhookUrl(url, config);
  } catch (error) {
    const final = error instanceof ApiError && error.code === "invalid_webhook_url";
    return { ok: false, status: null, error: errorMessage(error), final };
  }
  const timestamp = Math.floor(Date.now() / 1000);
  try {
    const response = await fetch(url, {
      method: "POST",
      headers: {
        "Content-Type": "application/json",
        "User-Agent": "defect-detection-webhooks/1",
        "Webhook-Id": id,
        "Webhook-Timestamp": String(timestamp),
        "Webhook-Signature": await signWebhook(secret, id, timestamp, body),
      },
      body,
      // A redirect could point anywhere, private hosts included: it counts as a failure.
      redirect: "manual",
      signal: AbortSignal.timeout(config.WEBHOOK_TIMEOUT_MS),
    });
    if (response.status >= 200 && response.status < 300) {
      await response.body?.cancel();
      return { ok: true, status: response.status };
    }
    const text = (await response.text().catch(() => "")).slice(0, MAX_ERROR_BODY);
    return { ok: false, status: response.status, error: `HTTP ${response.status}${text ? `: ${text}` : ""}` };
  } catch (error) {
    return { ok: false, status: null, error: errorMessage(error) };
  }
}

/** Consumer of `webhooks-dlq`: the delivery's retries are spent, so it is marked failed. */
export async function failDeadWebhooks(batch: MessageBatch<unknown>, ctx: HandlerContext): Promise<void> {
  for (const message of batch.messages) {
    const parsed = WebhookMessageSchema.safeParse(message.body);
    if (parsed.success) {
      await ctx.db
        .update(webhookDeliveries)
        .set({ status: "failed", updatedAt: sql`now()` })
        .where(
          and(eq(webhookDeliveries.id, parsed.data.deliveryId), eq(webhookDeliveries.status, "pending")),
        );
      ctx.logger.warn("webhook delivery failed for good", { deliveryId: parsed.data.deliveryId });
    }
    message.ack();
  }
}
