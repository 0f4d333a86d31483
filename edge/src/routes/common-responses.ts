import { errorResponse } from "../openapi";

/** Error responses every authenticated, rate-limited route can give. */
export const authErrorResponses = {
  401: errorResponse("Missing, invalid or expired credentials (`unauthorized`)"),
  403: errorResponse("The credential lacks a scope or role (`insufficient_scope`, `forbidden`)"),
  429: errorResponse("Rate limit exceeded (`rate_limited`); see `Retry-After`"),
} as const;

export const bearerSecurity = [{ bearerAuth: [] }];
