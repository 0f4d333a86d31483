import { z } from "@hono/zod-openapi";
import type { Config } from "../config";
import { ApiError } from "../errors";

/** Keyset pagination over UUIDv7 ids (which sort by creation time): newest first. */
export const PageQuerySchema = z.object({
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .default(20)
    .openapi({ description: "Page size (at most MAX_PAGE_SIZE)" }),
  cursor: z.uuid().optional().openapi({ description: "`nextCursor` of the previous page" }),
});

export function pageSize(config: Config, limit: number): number {
  if (limit > config.MAX_PAGE_SIZE) {
    throw new ApiError("validation_failed", `limit must be at most ${config.MAX_PAGE_SIZE}`);
  }
  return limit;
}

/** Splits the `limit + 1` rows fetched into a page and the cursor of the next one. */
export function toPage<T extends { id: string }>(
  rows: T[],
  limit: number,
): { page: T[]; nextCursor: string | null } {
  const page = rows.slice(0, limit);
  return { page, nextCursor: rows.length > limit ? (page.at(-1)?.id ?? null) : null };
}

export const pageResponse = <T extends z.ZodType>(item: T, name: string) =>
  z.object({ items: z.array(item), nextCursor: z.uuid().nullable() }).openapi(name);
