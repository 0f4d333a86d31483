import { users } from "@db/schema";
import { normaliseEmail } from "@edge/auth/emails";
import { hashPassword, passwordProblem } from "@edge/auth/passwords";
import { ApiError } from "@edge/errors";
import { createRouter, errorResponse } from "@edge/openapi";
import { createRoute } from "@hono/zod-openapi";
import { toUser, UserSchema } from "../users-schema";
import { CredentialsSchema } from "./schema";

const route = createRoute({
  method: "post",
  path: "/register",
  tags: ["Auth"],
  summary: "Create an account",
  description: `Passwords need at least 12 characters and must not be a well-known password.`,
  request: { body: { required: true, content: { "application/json": { schema: CredentialsSchema } } } },
  responses: {
    201: { description: "Account created", content: { "application/json": { schema: UserSchema } } },
    400: errorResponse("Invalid body (`validation_failed`) or password refused (`weak_password`)"),
    409: errorResponse("The email is already registered (`email_taken`)"),
    429: errorResponse("Too many attempts from this address (`rate_limited`)"),
  },
});

export const register = createRouter().openapi(route, async (c) => {
  const body = c.req.valid("json");
  const email = normaliseEmail(body.email);
  const problem = passwordProblem(body.password, email);
  if (problem) throw new ApiError("weak_password", problem);

  const [user] = await c.var.db
    .insert(users)
    .values({ email, passwordHash: await hashPassword(body.password) })
    .onConflictDoNothing({ target: users.email })
    .returning();
  if (!user) throw new ApiError("email_taken", "An account with this email already exists");
  c.var.logger.info("user registered", { userId: user.id });
  return c.json(toUser(user), 201);
});
