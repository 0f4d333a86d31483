/**
 * The one retry policy of queue messages, on both sides of the queue (the Worker's
 * `message.retry({ delaySeconds })`, the inference pull consumer's `delay_seconds`):
 * `base·2^(attempts−1)`, capped at `max` and at the 12 hours Queues accept. `attempts` is the
 * delivery that just failed, from 1.
 */
export function retryDelaySeconds(attempts: number, base: number, max: number): number {
  const exponent = Math.min(Math.max(attempts, 1) - 1, 30);
  return Math.min(max, base * 2 ** exponent, 43_200);
}
