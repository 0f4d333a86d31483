import { type DetectMessage, DetectMessageSchema } from "@common/contracts/detect-message";
import { type PushBatch, PushResponseSchema } from "@common/contracts/push-batch";
import { retryDelaySeconds } from "@common/retry";
import { errorMessage, type HandlerContext } from "./context";

type Pending = { message: Message<unknown>; body: DetectMessage };

/**
 * Local development bridge for the `detect` queue (production uses the inference service's HTTP
 * pull consumer instead): pushes the batch to inference as it came and acks or retries every
 * message by the answer. It writes no job state: inference claims each job from the edge first,
 * exactly as the pull consumer does. Unreachable inference or a non-2xx answer retries the
 * whole batch, with a delay growing exponentially in `attempts`.
 */
export async function pushDetectBatch(batch: MessageBatch<unknown>, ctx: HandlerContext): Promise<void> {
  const { config, logger } = ctx;
  const retry = (message: Message<unknown>, reason: string) => {
    const delaySeconds = retryDelaySeconds(
      message.attempts,
      config.DETECT_RETRY_BASE_DELAY_SECONDS,
      config.DETECT_RETRY_MAX_DELAY_SECONDS,
    );
    logger.warn("detect message retried", {
      messageId: message.id,
      attempts: message.attempts,
      delaySeconds,
      reason,
    });
    message.retry({ delaySeconds });
  };

  if (!config.INFERENCE_URL || !config.INFERENCE_API_TOKEN) {
    for (const message of batch.messages) retry(message, "INFERENCE_URL or INFERENCE_API_TOKEN is not set");
    return;
  }

  const pushed: Pending[] = [];
  for (const message of batch.messages) {
    const parsed = DetectMessageSchema.safeParse(message.body);
    if (parsed.success) pushed.push({ message, body: parsed.data });
    else {
      // Redelivery cannot fix a malformed body; the sweeper re-enqueues its job with a fresh one.
      logger.error("unreadable detect message dropped", {
        messageId: message.id,
        issues: parsed.error.issues,
      });
      message.ack();
    }
  }
  if (pushed.length === 0) return;

  const payload: PushBatch = {
    messages: pushed.map(({ message, body }) => ({ id: message.id, attempts: message.attempts, body })),
  };
  let outcomes: Map<string, { outcome: "ack" | "retry"; reason?: string }>;
  try {
    const response = await fetch(new URL("/v1/queue/push", config.INFERENCE_URL), {
      method: "POST",
      headers: { Authorization: `Bearer ${config.INFERENCE_API_TOKEN}`, "Content-Type": "application/json" },
      body: JSON.stringify(payload),
      signal: AbortSignal.timeout(config.INFERENCE_PUSH_TIMEOUT_MS),
    });
    if (!response.ok) {
      const text = await response.text().catch(() => "");
      throw new Error(`inference answered ${response.status} ${text.slice(0, 200)}`);
    }
    const answer = PushResponseSchema.parse(await response.json());
    outcomes = new Map(answer.results.map((result) => [result.id, result]));
  } catch (error) {
    for (const { message } of pushed) retry(message, `push failed: ${errorMessage(error)}`);
    return;
  }
  for (const { message, body } of pushed) {
    const result = outcomes.get(message.id);
    if (result?.outcome === "ack") {
      logger.debug("detect message acked", { messageId: message.id, jobId: body.jobId });
      message.ack();
    } else retry(message, result?.reason ?? "no outcome for this message in the push answer");
  }
}
