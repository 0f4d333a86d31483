import { users } from "@db/schema";
import { normaliseEmail } from "@edge/auth/emails";
import { burnVerification, hashPassword, needsRehash, verifyPassword } from "@edge/auth/passwords";
import { issueTokens } from "@edge/auth/sessions";
import { ApiError } from "@edge/errors";
import { enforceRateLimit } from "@edge/middleware/rate-limit";
import { createRouter, errorResponse } from "@edge/openapi";
import { createRoute } from "@hono/zod-openapi";
import { eq } from "drizzle-orm";
import { toUser } from "../users-schema";
import { CredentialsSchema, TokenPairSchema } from "./schema";

const route = createRoute({
  method: "post",
  path: "/login",
  tags: ["Auth"],
  summary: "Sign in",
  description:
    "Returns a short-lived access token and a single-use refresh token. Unknown email and wrong password give the same answer.",
  request: { body: { required: true, content: { "application/json": { schema: CredentialsSchema } } } },
  responses: {
    200: { description: "Signed in", content: { "application/json": { schema: TokenPairSchema } } },
    400: errorResponse("Invalid body (`validation_failed`)"),
    401: errorResponse("Unknown email or wrong password (`unauthorized`)"),
    403: errorResponse("The account is disabled (`account_disabled`)"),
    429: errorResponse("Too many attempts from this address or for this account (`rate_limited`)"),
  },
});

const invalidCredentials = () => new ApiError("unauthorized", "Invalid email or password");

export const login = createRouter().openapi(route, async (c) => {
  const body = c.req.valid("json");
  const email = normaliseEmail(body.email);
  // Per account as well as per address: slows credential stuffing spread over many IPs.
  await enforceRateLimit(c, "auth_account", email);

  const [user] = await c.var.db.select().from(users).where(eq(users.email, email));
  if (!user) {
    await burnVerification(body.password);
    throw invalidCredentials();
  }
  if (!(await verifyPassword(user.passwordHash, body.password))) throw invalidCredentials();
  if (user.disabledAt) throw new ApiError("account_disabled", "This account is disabled");

  if (needsRehash(user.passwordHash)) {
    const passwordHash = await hashPassword(body.password);
    await c.var.db.update(users).set({ passwordHash }).where(eq(users.id, user.id));
    c.var.logger.info("password hash upgraded", { userId: user.id });
  }
  const tokens = await issueTokens(c.var.db, c.var.config, user.id);
  return c.json({ ...tokens, user: toUser(user) }, 200);
});
