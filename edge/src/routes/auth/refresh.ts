import { users } from "@db/schema";
import { rotateRefreshToken, tokenPair } from "@edge/auth/sessions";
import { ApiError } from "@edge/errors";
import { createRouter, errorResponse } from "@edge/openapi";
import { createRoute } from "@hono/zod-openapi";
import { eq } from "drizzle-orm";
import { toUser } from "../users-schema";
import { RefreshRequestSchema, TokenPairSchema } from "./schema";

const route = createRoute({
  method: "post",
  path: "/refresh",
  tags: ["Auth"],
  summary: "Exchange a refresh token",
  description:
    "Refresh tokens are single use. Presenting one that was already exchanged revokes every token of its sign-in (theft detection).",
  request: { body: { required: true, content: { "application/json": { schema: RefreshRequestSchema } } } },
  responses: {
    200: { description: "New token pair", content: { "application/json": { schema: TokenPairSchema } } },
    400: errorResponse("Invalid body (`validation_failed`)"),
    401: errorResponse("Unknown, expired, revoked or reused refresh token (`unauthorized`)"),
    429: errorResponse("Too many attempts from this address (`rate_limited`)"),
  },
});

export const refresh = createRouter().openapi(route, async (c) => {
  const { refreshToken } = c.req.valid("json");
  const rotation = await rotateRefreshToken(c.var.db, c.var.config, refreshToken);
  if (rotation.outcome === "reused") {
    c.var.logger.warn("refresh token reuse: family revoked", { familyId: rotation.familyId });
  }
  if (rotation.outcome !== "rotated" || !rotation.successor || !rotation.successorExpiresAt) {
    throw new ApiError("unauthorized", "Invalid refresh token");
  }
  const [user] = await c.var.db.select().from(users).where(eq(users.id, rotation.userId));
  if (!user || user.disabledAt) throw new ApiError("unauthorized", "Invalid refresh token");
  const tokens = await tokenPair(c.var.config, user.id, rotation.successor, rotation.successorExpiresAt);
  return c.json({ ...tokens, user: toUser(user) }, 200);
});
