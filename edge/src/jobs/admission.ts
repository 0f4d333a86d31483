import type { Db } from "@db/client-worker";
import { jobs } from "@db/schema";
import { inArray, type SQL, sql } from "drizzle-orm";
import { uuidv7 } from "uuidv7";

/**
 * Key of the transaction-scoped advisory lock that admits jobs one request at a time. Any
 * constant works; it only has to be the same for every creation and used for nothing else.
 */
export const ADMISSION_LOCK_KEY = 0x6a6f6273; // "jobs"

/** Unfinished jobs, counted up to `limit + 1` only, on the partial index of unfinished jobs. */
export function unfinishedJobsUpTo(limit: number): SQL<number> {
  return sql<number>`(select count(*) from (select 1 from ${jobs} where ${jobs.status} in ('queued', 'running') limit ${limit + 1}) as backlog)::int`;
}

type Job = typeof jobs.$inferSelect;

export type NewJob = Pick<Job, "ownerId" | "imageId" | "model" | "params" | "traceparent">;

export type Admission =
  | { admitted: true; jobs: Job[] }
  | { admitted: false; unfinished: number; limit: number };

/**
 * Inserts `rows` only if the unfinished jobs stay within `maxUnfinished`, atomically: one
 * non-interactive batch (one round trip over the HTTP driver) takes a transaction-scoped advisory
 * lock, then inserts conditionally on the count. Concurrent creations wait for the lock, and each
 * counts after the previous one committed (READ COMMITTED takes a new snapshot per statement),
 * so the ceiling holds under any concurrency; the lock is released at commit.
 *
 * The admission rule is the `where` of the insert; a different rule (expected wait, a per-owner
 * share) replaces that condition and keeps the lock and the single batch.
 */
export async function admitJobs(db: Db, rows: NewJob[], maxUnfinished: number): Promise<Admission> {
  const ids = rows.map(() => uuidv7());
  const values = sql.join(
    rows.map(
      (row, i) =>
        sql`(${ids[i]}::uuid, ${row.ownerId}::uuid, ${row.imageId}::uuid, ${row.model}, ${JSON.stringify(row.params)}::jsonb, ${row.traceparent}, ${i}::int)`,
    ),
    sql`, `,
  );
  const [, , created, unfinished] = await db.batch([
    db.execute(sql`select pg_advisory_xact_lock(${ADMISSION_LOCK_KEY})`),
    db.execute(sql`insert into ${jobs} (id, owner_id, image_id, model, params, traceparent, enqueued_at)
      select id, owner_id, image_id, model, params, traceparent, now()
      from (values ${values}) as row (id, owner_id, image_id, model, params, traceparent, position)
      where ${unfinishedJobsUpTo(maxUnfinished)} + ${rows.length} <= ${maxUnfinished}
      order by position`),
    db.select().from(jobs).where(inArray(jobs.id, ids)),
    db.select({ count: unfinishedJobsUpTo(maxUnfinished) }).from(sql`(select 1) as one`),
  ]);
  if (created.length === 0) {
    return { admitted: false, unfinished: unfinished[0]?.count ?? 0, limit: maxUnfinished };
  }
  const byId = new Map(created.map((job) => [job.id, job]));
  return { admitted: true, jobs: ids.map((id) => byId.get(id) as Job) };
}
