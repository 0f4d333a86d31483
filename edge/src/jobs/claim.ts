import type { JobClaim } from "@common/contracts/job-claim";
import type { Db } from "@db/client-worker";
import { images, jobs } from "@db/schema";
import { and, eq, getTableColumns, inArray, sql } from "drizzle-orm";
import type { Config } from "../config";
import { shadowModelColumn } from "../evaluations/shadow-claim";
import { claimedModel, claimedModelColumn } from "../models/claim-model";
import { type JobEvent, jobEvent } from "./events";
import { detectMessage, queuedImageColumns } from "./queue-messages";

export type Claimed = { claim: JobClaim; ownerId?: string; event?: JobEvent };

/**
 * Claims a job for an inference attempt: an unfinished job becomes `running` (attempts counted,
 * start time set) in one conditional UPDATE, and the answer carries the job as a queue message
 * would now, with a freshly signed image URL. A finished or deleted job answers `finished`, and
 * the caller acknowledges its message. Claiming again (a redelivery, a second consumer) is safe:
 * results stay idempotent on the job id.
 */
export async function claimJob(db: Db, config: Config, jobId: string, attempt: number): Promise<Claimed> {
  const [row] = await db
    .update(jobs)
    .set({
      status: "running",
      attempts: sql`greatest(${jobs.attempts}, ${attempt})`,
      startedAt: sql`now()`,
      updatedAt: sql`now()`,
    })
    .from(images)
    .where(and(eq(jobs.id, jobId), eq(images.id, jobs.imageId), inArray(jobs.status, ["queued", "running"])))
    .returning({
      ...getTableColumns(jobs),
      image: queuedImageColumns,
      registryModel: claimedModelColumn,
      shadowModel: shadowModelColumn,
    });
  if (!row) return { claim: { outcome: "finished" } };
  const [registryModel, shadowModel] = await Promise.all([
    claimedModel(config, row.registryModel),
    claimedModel(config, row.shadowModel),
  ]);
  return {
    claim: {
      outcome: "claimed",
      attempts: row.attempts,
      job: await detectMessage(config, row, row.image),
      ...(registryModel ? { registryModel } : {}),
      ...(shadowModel ? { shadowModel } : {}),
    },
    ownerId: row.ownerId,
    event: jobEvent(row, 0),
  };
}
