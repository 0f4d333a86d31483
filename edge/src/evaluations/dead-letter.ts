import { EvaluateMessageSchema } from "@common/contracts/detect-message";
import type { Db } from "@db/client-worker";
import { modelEvaluations } from "@db/schema";
import { and, eq, inArray, sql } from "drizzle-orm";
import { DEAD_LETTERED } from "../jobs/complete";
import { failEvaluation } from "./claim";

/** The evaluation id of a dead `detect` message, or null when it is a job's (or unreadable). */
export function deadEvaluationId(body: unknown): string | null {
  const parsed = EvaluateMessageSchema.safeParse(body);
  return parsed.success ? parsed.data.evaluationId : null;
}

/**
 * A dead evaluate message, as a dead job message is handled: when the service did report a failure
 * of the evaluation itself, it fails with that reason; when nothing was reported, every attempt was
 * lost to an unreachable service or edge, so it goes back to `queued` and the sweeper sends it
 * again after EVALUATION_STUCK_AFTER_SECONDS. Answers what it did.
 */
export async function handleDeadEvaluation(db: Db, id: string): Promise<"failed" | "requeued" | "none"> {
  const [row] = await db
    .select({
      attempts: modelEvaluations.attempts,
      error: modelEvaluations.error,
      code: modelEvaluations.errorCode,
    })
    .from(modelEvaluations)
    .where(eq(modelEvaluations.id, id));
  if (!row) return "none";
  if (row.error === null) {
    const requeued = await db
      .update(modelEvaluations)
      .set({ status: "queued", heartbeatAt: null, updatedAt: sql`now()` })
      .where(and(eq(modelEvaluations.id, id), inArray(modelEvaluations.status, ["queued", "running"])))
      .returning({ id: modelEvaluations.id });
    return requeued.length > 0 ? "requeued" : "none";
  }
  const reason = `${DEAD_LETTERED}: no result after ${row.attempts} attempt(s); last error: ${row.code}: ${row.error}`;
  return (await failEvaluation(db, id, row.code ?? "internal", reason)) ? "failed" : "none";
}
