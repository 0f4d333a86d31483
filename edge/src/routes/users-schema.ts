import { userRole, type users } from "@db/schema";
import { z } from "@hono/zod-openapi";
import { pageResponse } from "./pagination";

export const UserSchema = z
  .object({
    id: z.uuid(),
    email: z.email(),
    role: z.enum(userRole.enumValues),
    disabled: z.boolean(),
    createdAt: z.iso.datetime(),
  })
  .openapi("User");

export type User = z.infer<typeof UserSchema>;

export const UserPageSchema = pageResponse(UserSchema, "UserPage");

export function toUser(
  row: Pick<typeof users.$inferSelect, "id" | "email" | "role" | "disabledAt" | "createdAt">,
): User {
  return {
    id: row.id,
    email: row.email,
    role: row.role,
    disabled: row.disabledAt !== null,
    createdAt: row.createdAt.toISOString(),
  };
}
