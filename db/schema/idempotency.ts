import { index, integer, jsonb, pgTable, primaryKey, text, uuid } from "drizzle-orm/pg-core";
import { createdAt } from "./columns";
import { users } from "./users";

/**
 * Responses remembered per (owner, Idempotency-Key): a retried request with the same body gets
 * the same answer, a different body under the same key is refused.
 */
export const idempotencyKeys = pgTable(
  "idempotency_keys",
  {
    ownerId: uuid()
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    key: text().notNull(),
    /** SHA-256 of method, path and body of the first request. */
    requestHash: text().notNull(),
    responseStatus: integer().notNull(),
    responseBody: jsonb().notNull(),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.ownerId, t.key] }), index("idempotency_keys_created_idx").on(t.createdAt)],
);
