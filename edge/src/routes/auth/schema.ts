import { passwordPolicy } from "@edge/auth/passwords";
import { z } from "@hono/zod-openapi";
import { UserSchema } from "../users-schema";

export const CredentialsSchema = z
  .object({
    email: z
      .string()
      .trim()
      .pipe(z.email().max(254))
      .openapi({ type: "string", format: "email", example: "inspector@example.com" }),
    password: z.string().min(1).max(passwordPolicy.maxLength).openapi({ example: "ripple-bead-film-42" }),
  })
  .openapi("Credentials");

export const RefreshRequestSchema = z
  .object({ refreshToken: z.string().min(1).max(200) })
  .openapi("RefreshRequest");

export const TokenPairSchema = z
  .object({
    accessToken: z.string(),
    tokenType: z.literal("Bearer"),
    expiresIn: z.number().int().openapi({ description: "Access token lifetime in seconds" }),
    refreshToken: z.string().openapi({ description: "Single use: every refresh returns a new one" }),
    refreshTokenExpiresAt: z.iso.datetime(),
    user: UserSchema,
  })
  .openapi("TokenPair");
