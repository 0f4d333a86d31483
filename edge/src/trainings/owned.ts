import type { Db } from "@db/client-worker";
import { trainings } from "@db/schema";
import { and, eq } from "drizzle-orm";
import { ApiError } from "../errors";

/** The caller's run, or 404 for anyone else's: a run's existence is not disclosed. */
export async function ownedTraining(db: Db, ownerId: string, id: string) {
  const [row] = await db
    .select()
    .from(trainings)
    .where(and(eq(trainings.id, id), eq(trainings.ownerId, ownerId)));
  if (!row) throw new ApiError("not_found", "Training not found");
  return row;
}
