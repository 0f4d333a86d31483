import type { Db } from "@db/client-worker";
import { trainings } from "@db/schema";
import { and, eq } from "drizzle-orm";

export type StopReason = "cancelled" | "finished" | "stale";

/** SQL: the run is `running` under this attempt (its reports count). */
export const currentAttempt = (id: string, attempt: number) =>
  and(eq(trainings.id, id), eq(trainings.status, "running"), eq(trainings.attempts, attempt));

/**
 * Why a report of `attempt` did not apply: the run was cancelled, finished (or deleted, or put
 * back to `queued`), or a newer claim holds it. Read after a conditional write matched nothing.
 */
export async function stopReason(db: Db, id: string, attempt: number): Promise<StopReason> {
  const [run] = await db
    .select({ status: trainings.status, attempts: trainings.attempts })
    .from(trainings)
    .where(eq(trainings.id, id));
  if (!run) return "finished";
  if (run.status === "cancelled") return "cancelled";
  if (run.attempts !== attempt) return "stale";
  return "finished";
}
