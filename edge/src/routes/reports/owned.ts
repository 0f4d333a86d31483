import type { Db } from "@db/client-worker";
import { reports } from "@db/schema";
import { ApiError } from "@edge/errors";
import { and, eq } from "drizzle-orm";

/** The caller's report, or 404 for anyone else's: a report's existence is not disclosed. */
export async function ownedReport(db: Db, ownerId: string, id: string) {
  const [row] = await db
    .select()
    .from(reports)
    .where(and(eq(reports.id, id), eq(reports.ownerId, ownerId)));
  if (!row) throw new ApiError("not_found", "Report not found");
  return row;
}
