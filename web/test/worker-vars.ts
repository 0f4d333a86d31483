import { GENEROUS_AUTH_LIMITS } from "@scripts/testing/auth-fixtures";

/**
 * Worker settings for browser tests: sign-in and sign-up limits lifted, and read and write rate
 * limits well above the requests a page makes in one test.
 */
export const BROWSER_TEST_VARS = {
  ...GENEROUS_AUTH_LIMITS,
  RATE_LIMIT_READ: "5000/60s",
  RATE_LIMIT_WRITE: "1000/60s",
};
