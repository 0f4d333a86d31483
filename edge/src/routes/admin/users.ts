import { users } from "@db/schema";
import { revokeAllForUser } from "@edge/auth/sessions";
import { ApiError } from "@edge/errors";
import { authenticate, requireScope } from "@edge/middleware/authenticate";
import { database } from "@edge/middleware/database";
import { rateLimit } from "@edge/middleware/rate-limit";
import { createRouter, errorResponse } from "@edge/openapi";
import { createRoute, z } from "@hono/zod-openapi";
import { desc, eq, lt, sql } from "drizzle-orm";
import { authErrorResponses, bearerSecurity } from "../common-responses";
import { PageQuerySchema, pageSize, toPage } from "../pagination";
import { toUser, UserPageSchema, UserSchema } from "../users-schema";

const UserIdParamSchema = z.object({ id: z.uuid().openapi({ param: { name: "id", in: "path" } }) });

const list = createRoute({
  method: "get",
  path: "/users",
  tags: ["Admin"],
  summary: "List users",
  description: "Newest first. Needs the `admin` scope.",
  security: bearerSecurity,
  request: { query: PageQuerySchema },
  responses: {
    200: {
      description: "A page of users",
      content: {
        "application/json": { schema: UserPageSchema },
      },
    },
    400: errorResponse("Invalid query (`validation_failed`)"),
    ...authErrorResponses,
  },
});

function setDisabled(disabled: boolean) {
  return createRoute({
    method: "post",
    path: `/users/{id}/${disabled ? "disable" : "enable"}`,
    tags: ["Admin"],
    summary: disabled ? "Disable a user" : "Enable a user",
    description: disabled
      ? "The user's access tokens, refresh tokens and API keys stop working at once. Needs the `admin` scope."
      : "Lets the user sign in again. Needs the `admin` scope.",
    security: bearerSecurity,
    request: { params: UserIdParamSchema },
    responses: {
      200: { description: "The updated user", content: { "application/json": { schema: UserSchema } } },
      404: errorResponse("No such user (`not_found`)"),
      409: errorResponse("Admins cannot disable themselves (`conflict`)"),
      ...authErrorResponses,
    },
  });
}

export const adminRouter = createRouter();
adminRouter.use(
  "*",
  database(),
  authenticate(),
  rateLimit((c) => (c.req.method === "GET" ? "read" : "write")),
);

adminRouter.openapi(list, async (c) => {
  requireScope(c, "admin");
  const { cursor, ...query } = c.req.valid("query");
  const limit = pageSize(c.var.config, query.limit);
  const rows = await c.var.db
    .select()
    .from(users)
    .where(cursor ? lt(users.id, cursor) : undefined)
    .orderBy(desc(users.id))
    .limit(limit + 1);
  const { page, nextCursor } = toPage(rows, limit);
  return c.json({ items: page.map(toUser), nextCursor }, 200);
});

for (const disabled of [true, false]) {
  adminRouter.openapi(setDisabled(disabled), async (c) => {
    const principal = requireScope(c, "admin");
    const { id } = c.req.valid("param");
    if (disabled && id === principal.userId)
      throw new ApiError("conflict", "You cannot disable your own account");
    const [user] = await c.var.db
      .update(users)
      .set({ disabledAt: disabled ? sql`coalesce(${users.disabledAt}, now())` : null })
      .where(eq(users.id, id))
      .returning();
    if (!user) throw new ApiError("not_found", "User not found");
    if (disabled) await revokeAllForUser(c.var.db, id);
    c.var.logger.info(disabled ? "user disabled" : "user enabled", { userId: id, by: principal.userId });
    return c.json(toUser(user), 200);
  });
}
