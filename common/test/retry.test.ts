import { expect, test } from "bun:test";
import { retryDelaySeconds } from "../retry";

test("retry delay: base·2^(attempts−1), capped by the setting and by the 12 hours Queues accept", () => {
  expect([1, 2, 3, 4, 5].map((n) => retryDelaySeconds(n, 5, 600))).toEqual([5, 10, 20, 40, 80]);
  expect([1, 2, 3, 4, 5].map((n) => retryDelaySeconds(n, 5, 60))).toEqual([5, 10, 20, 40, 60]);
  expect(retryDelaySeconds(20, 5, 600)).toBe(600);
  expect(retryDelaySeconds(100, 5, 1_000_000)).toBe(43_200);
  expect(retryDelaySeconds(3, 0, 600)).toBe(0);
  // A first delivery that failed, however it is counted, waits the base delay.
  expect(retryDelaySeconds(0, 5, 600)).toBe(5);
});
