import { z } from "@hono/zod-openapi";
import { and, asc, desc, gt, lt, type SQL } from "drizzle-orm";
import type { PgColumn, PgSelect } from "drizzle-orm/pg-core";
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

/** One page of a keyset list: its cursor (the last id of the page before), size and direction. */
export type PageRequest = {
  cursor?: string | undefined;
  limit: number;
  /** Newest first (descending ids) for the API's lists; oldest first for a dataset's key order. */
  order: "newest" | "oldest";
};

/**
 * Reads one page of a dynamic select (`db.select().from(table).$dynamic()`) keyed by its UUIDv7
 * `id`: the rows matching every `where` condition past the cursor, in the page's order, one row
 * more than the page so the next cursor is known without a count.
 */
export async function selectPage<Row extends { id: string }>(
  select: PgSelect & PromiseLike<Row[]>,
  id: PgColumn,
  request: PageRequest,
  ...where: (SQL | undefined)[]
): Promise<{ page: Row[]; nextCursor: string | null }> {
  const newest = request.order === "newest";
  const pastCursor = request.cursor ? (newest ? lt : gt)(id, request.cursor) : undefined;
  const rows: Row[] = await select
    .where(and(...where, pastCursor))
    .orderBy(newest ? desc(id) : asc(id))
    .limit(request.limit + 1);
  return toPage(rows, request.limit);
}

export const pageResponse = <T extends z.ZodType>(item: T, name: string) =>
  z.object({ items: z.array(item), nextCursor: z.uuid().nullable() }).openapi(name);
