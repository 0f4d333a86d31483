/**
 * The HTTP pull consumer of the `train` queue, defined once: `npm run deploy:setup` creates
 * Cloudflare's consumer with these settings, the trainer service pulls with the same batch size
 * and visibility timeout by default, and the local Queues API dead-letters after the same number
 * of retries.
 */
export const TRAIN_PULL_CONSUMER = {
  /** One run per pull: a trainer works on one run at a time. */
  batchSize: 1,
  /**
   * Seconds a pulled message stays leased: Cloudflare's maximum (12 hours), so a run is not
   * offered to a second trainer while the first still trains. A redelivery while the first one
   * still reports progress is answered `busy` by the claim and dropped; a trainer that died is
   * found sooner by the sweeper (`TRAINING_STUCK_AFTER_SECONDS`).
   */
  visibilityTimeoutSeconds: 43_200,
  /** Deliveries after the first before the message moves to the dead-letter queue. */
  maxRetries: 2,
  /** The dead-letter queue's name without the environment's suffix (wrangler.toml). */
  deadLetterQueue: "train-dlq",
} as const;
