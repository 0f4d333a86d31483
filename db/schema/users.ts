import { sql } from "drizzle-orm";
import { index, pgEnum, pgTable, text, uniqueIndex } from "drizzle-orm/pg-core";
import { createdAt, id, timestamptz, updatedAt } from "./columns";

export const userRole = pgEnum("user_role", ["user", "admin"]);

export const users = pgTable(
  "users",
  {
    id: id(),
    /** Stored normalised (trimmed, lower-cased); uniqueness is enforced on this value. */
    email: text().notNull(),
    /** PHC string (`$argon2id$v=19$m=...`), so parameters can be raised and old hashes upgraded. */
    passwordHash: text().notNull(),
    role: userRole().notNull().default("user"),
    disabledAt: timestamptz(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex("users_email_key").on(t.email),
    index("users_created_at_idx").on(t.createdAt.desc()),
    index("users_disabled_idx").on(t.id).where(sql`${t.disabledAt} is not null`),
  ],
);
