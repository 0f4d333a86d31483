import type { TrainEpoch, TrainProgressAnswer } from "@common/contracts/train-claim";
import type { Db } from "@db/client-worker";
import { trainings } from "@db/schema";
import { sql } from "drizzle-orm";
import { currentAttempt, stopReason } from "./attempt";
import type { TrainingRow } from "./views";

/**
 * Appends one epoch to the current attempt's progress and counts as a heartbeat. A report of a
 * stale attempt, or of a run cancelled meanwhile, changes nothing and answers `stop`: the trainer
 * stops at its next report. The same epoch reported twice (a retried call) is kept once.
 */
export async function recordProgress(
  db: Db,
  id: string,
  attempt: number,
  epoch: TrainEpoch,
): Promise<{ answer: TrainProgressAnswer; run?: TrainingRow }> {
  const [run] = await db
    .update(trainings)
    .set({
      progress: sql`(select coalesce(jsonb_agg(e), '[]'::jsonb) from jsonb_array_elements(${trainings.progress}) e where (e->>'epoch')::int <> ${epoch.epoch}) || ${JSON.stringify([epoch])}::jsonb`,
      heartbeatAt: sql`now()`,
      updatedAt: sql`now()`,
    })
    .where(currentAttempt(id, attempt))
    .returning();
  if (run) return { answer: { outcome: "continue" }, run };
  return { answer: { outcome: "stop", reason: await stopReason(db, id, attempt) } };
}
