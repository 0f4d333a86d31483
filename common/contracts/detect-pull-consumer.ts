/**
 * The HTTP pull consumer of the `detect` queue, defined once: `npm run deploy:setup` creates
 * Cloudflare's consumer with these settings (`wrangler queues consumer http add`), the inference
 * service pulls with the same batch size and visibility timeout by default, and the local
 * Queues API dead-letters after the same number of retries.
 */
export const DETECT_PULL_CONSUMER = {
  /** Messages per pull (Cloudflare allows 1–100). */
  batchSize: 10,
  /**
   * Seconds a pulled message stays leased before it is offered again. Covers a batch's inference
   * plus the edge client's callback retries (about 40 s).
   */
  visibilityTimeoutSeconds: 60,
  /** Deliveries after the first before the message moves to the dead-letter queue. */
  maxRetries: 5,
  /** The dead-letter queue's name without the environment's suffix (wrangler.toml). */
  deadLetterQueue: "detect-dlq",
} as const;
