import { normaliseEmail } from "@edge/auth/emails";
import { passwordPolicy } from "@edge/auth/passwords";
import { z } from "@hono/zod-openapi";
import { UserSchema } from "../users-schema";

/** RFC 5321 §4.5.3.1: a local part has at most 64 octets, a forward path at most 256 with its brackets. */
const MAX_LOCAL_PART_OCTETS = 64;
const MAX_EMAIL_OCTETS = 254;
const encoder = new TextEncoder();
const octets = (text: string) => encoder.encode(text).length;

export const CredentialsSchema = z
  .object({
    email: z
      .string()
      .max(4 * MAX_EMAIL_OCTETS)
      // Validated in its canonical form: a full-width "ｉｎｅｓ@…" is the address "ines@…", not an invalid one.
      .transform(normaliseEmail)
      .pipe(
        z
          .email()
          .max(MAX_EMAIL_OCTETS)
          .refine((email) => octets(email.slice(0, email.lastIndexOf("@"))) <= MAX_LOCAL_PART_OCTETS, {
            message: `The part before @ may have at most ${MAX_LOCAL_PART_OCTETS} octets (RFC 5321)`,
          }),
      )
      .openapi({
        type: "string",
        format: "email",
        example: "inspector@example.com",
        maxLength: MAX_EMAIL_OCTETS,
      }),
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
