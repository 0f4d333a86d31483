import { familyOf, revokeFamily } from "@edge/auth/sessions";
import { createRouter, errorResponse } from "@edge/openapi";
import { createRoute } from "@hono/zod-openapi";
import { RefreshRequestSchema } from "./schema";

const route = createRoute({
  method: "post",
  path: "/logout",
  tags: ["Auth"],
  summary: "Sign out",
  description:
    "Revokes the refresh token and every token issued from the same sign-in. Access tokens expire on their own within their short lifetime.",
  request: { body: { required: true, content: { "application/json": { schema: RefreshRequestSchema } } } },
  responses: {
    204: { description: "Signed out (also when the token was already unknown or revoked)" },
    400: errorResponse("Invalid body (`validation_failed`)"),
    429: errorResponse("Too many attempts from this address (`rate_limited`)"),
  },
});

export const logout = createRouter().openapi(route, async (c) => {
  const familyId = await familyOf(c.var.db, c.req.valid("json").refreshToken);
  if (familyId) await revokeFamily(c.var.db, familyId);
  return c.body(null, 204);
});
