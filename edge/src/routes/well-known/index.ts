import { keyRing } from "@edge/auth/access-tokens";
import { createRouter } from "@edge/openapi";
import { createRoute, z } from "@hono/zod-openapi";

export const JwksSchema = z
  .object({
    keys: z.array(z.looseObject({ kty: z.string(), kid: z.string(), alg: z.string(), use: z.string() })),
  })
  .openapi("JWKS");

const route = createRoute({
  method: "get",
  path: "/.well-known/jwks.json",
  tags: ["Auth"],
  summary: "Public keys that verify access tokens",
  description:
    "Every key currently accepted; during a rotation both the new and the previous key are listed.",
  responses: {
    200: { description: "JSON Web Key Set", content: { "application/json": { schema: JwksSchema } } },
  },
});

export const wellKnownRouter = createRouter().openapi(route, async (c) => {
  const ring = await keyRing(c.var.config.JWT_KEYS);
  c.header("Cache-Control", "public, max-age=300");
  return c.json({ keys: ring.publicJwks as z.infer<typeof JwksSchema>["keys"] }, 200);
});
