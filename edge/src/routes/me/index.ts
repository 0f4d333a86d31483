import { createRoute, z } from "@hono/zod-openapi";
import { eq } from "drizzle-orm";
import { users } from "../../../../db/schema";
import { scopes } from "../../auth/scopes";
import { ApiError } from "../../errors";
import { authenticate } from "../../middleware/authenticate";
import { database } from "../../middleware/database";
import { rateLimit } from "../../middleware/rate-limit";
import { createRouter } from "../../openapi";
import { authErrorResponses, bearerSecurity } from "../common-responses";
import { toUser, UserSchema } from "../users-schema";

const MeSchema = z
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
  const principal = c.var.principal;
  const [user] = await c.var.db.select().from(users).where(eq(users.id, principal.userId));
  if (!user) throw new ApiError("unauthorized", "Invalid or expired access token");
  return c.json({ user: toUser(user), authenticatedWith: principal.via, scopes: principal.scopes }, 200);
});
