/**
 * Exponential backoff for `message.retry({ delaySeconds })`: `base·2^(attempts−1)`, capped at
 * `max` (Queues accept at most 12 hours). `attempts` is the delivery that just failed, from 1.
 */
export function retryDelaySeconds(attempts: number, base: number, max: number): number {
  const exponent = Math.min(Math.max(attempts, 1) - 1, 30);
  return Math.min(max, base * 2 ** exponent, 43_200);
}
