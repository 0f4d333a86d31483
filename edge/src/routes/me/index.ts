import { scopes } from "@edge/auth/scopes";
import { authenticate } from "@edge/middleware/authenticate";
import { database } from "@edge/middleware/database";
import { rateLimit } from "@edge/middleware/rate-limit";
import { createRouter } from "@edge/openapi";
import { createRoute, z } from "@hono/zod-openapi";
import { authErrorResponses, bearerSecurity } from "../common-responses";
import { toUser, UserSchema } from "../users-schema";

export const MeSchema = z
  .object({
    user: UserSchema,
    authenticatedWith: z.enum(["token", "api_key"]),
    scopes: z.array(z.enum(scopes)),
  })
  .openapi("Me");

const route = createRoute({
  method: "get",
  path: "/me",
  tags: ["Auth"],
  summary: "The authenticated caller",
  security: bearerSecurity,
  responses: {
    200: {
      description: "The caller and what its credential may do",
      content: { "application/json": { schema: MeSchema } },
    },
    ...authErrorResponses,
  },
});

export const meRouter = createRouter();
meRouter.use("/me", database(), authenticate(), rateLimit("read"));
meRouter.openapi(route, async (c) => {
  // Authentication has just read the account (and refused a disabled one): no second lookup.
  const principal = c.var.principal;
  const user = {
    id: principal.userId,
    email: principal.email,
    role: principal.role,
    disabledAt: null,
    createdAt: principal.userCreatedAt,
  };
  return c.json({ user: toUser(user), authenticatedWith: principal.via, scopes: principal.scopes }, 200);
});
