import { STANDING_LINE_SECONDS } from "@common/limits";
import type { Db } from "@db/client-worker";
import { jobs } from "@db/schema";
import type { Config } from "@edge/config";
import { ApiError } from "@edge/errors";
import { createTtlCache } from "@edge/metrics/ttl-cache";
import { inArray, type SQL, sql } from "drizzle-orm";
import { uuidv7 } from "uuidv7";
import { z } from "zod";

/**
 * Job admission by time: a creation is refused (`503 backlog_full`) when the time the jobs ahead
 * have already waited plus the time they take to finish at the pace the stack has just shown
 * exceeds `ADMISSION_MAX_WAIT_SECONDS`, when one owner would take more than its share of that, or
 * past the hard ceiling `MAX_UNFINISHED_JOBS`. The pace is measured once a second per isolate
 * (`readDrainFigures`); while the latest count the isolate has seen (the measurement's, or one its
 * creations made since), brought forward by what it has admitted and has in hand since
 * (`estimateUnfinished`), shows the backlog full, creations are refused without a statement
 * (`measuredRefusal`, `fastRefusal`); otherwise the counts are exact, checked again under a lock
 * by the insert itself (`admitJobs`).
 */

/**
 * Key of the transaction-scoped advisory lock that admits jobs one request at a time. Any
 * constant works; it only has to be the same for every creation and used for nothing else.
 */
export const ADMISSION_LOCK_KEY = 0x6a6f6273; // "jobs"

/** The longest window the completion rate is measured over. */
export const DRAIN_WINDOW_MAX_SECONDS = 60;
/**
 * The shortest, and how long the line must have stood before there is a rate at all. An idle
 * inference leaves a job queued until its next pull (`MAX_PULL_IDLE_MS` at most), so a younger
 * line is no sign of a busy stack, and a window longer than the line reaches back into idle time:
 * at light load one job finished in a 5 s window read as 0.2 jobs/s and refused a second film on
 * an idle stack. Under half the default budget, where, at a true pace, a one-film creation is first
 * refused (the line's age is then about backlog ÷ rate), so an overload is refused as before.
 */
export const DRAIN_WINDOW_MIN_SECONDS = STANDING_LINE_SECONDS;

/** Unfinished jobs, counted up to `limit + 1` only, on the partial index of unfinished jobs. */
export function unfinishedJobsUpTo(limit: number): SQL<number> {
  return sql<number>`(select count(*) from (select 1 from ${jobs} where ${jobs.status} in ('queued', 'running') limit ${limit + 1}) as backlog)::int`;
}

/** One owner's unfinished jobs, counted up to `limit + 1` only, on `jobs_owner_status_created_idx`. */
export function ownerUnfinishedJobsUpTo(ownerId: string, limit: number): SQL<number> {
  return sql<number>`(select count(*) from (select 1 from ${jobs} where ${jobs.ownerId} = ${ownerId}::uuid and ${jobs.status} in ('queued', 'running') limit ${limit + 1}) as owned)::int`;
}

/** What admission reads of the stack's state, once per `ADMISSION_CACHE_SECONDS` per isolate. */
export type DrainFigures = {
  queued: number;
  running: number;
  /**
   * Seconds the line has waited: the age of the oldest queued job created no earlier than the
   * newest job claimed lately (running, or finished in the last minute); 0 when none is queued. A job
   * overtaken by a later claim is not in line but lost (the sweeper re-enqueues it): it would
   * otherwise close admission for everyone until then.
   */
  lineAgeSeconds: number;
  /** Jobs finished (succeeded or failed) in the last `windowSeconds`. */
  finished: number;
  windowSeconds: number;
};

/**
 * One statement of index range scans, whatever the size of the table: the newest job claimed
 * lately (running, or finished within the longest window: its creation time starts the line), read
 * once; the unfinished jobs (`jobs_unfinished_updated_idx`, at most `MAX_UNFINISHED_JOBS` rows);
 * and the jobs finished in the window (`jobs_finished_idx`). The window is the line's age, kept
 * within the bounds: while the line stands, inference has no idle slot (it would have claimed its
 * head), so what finished meanwhile is its full pace; a longer window would reach back into idle
 * time and understate it.
 */
export async function readDrainFigures(db: Db): Promise<DrainFigures> {
  const { rows } = await db.execute<{
    queued: string;
    running: string;
    line_age_seconds: number | null;
    window_seconds: number;
    finished: string;
  }>(sql`
    with claimed as (
      select greatest(
        (select max(created_at) from ${jobs} where status = 'running'),
        (select max(created_at) from ${jobs}
          where status in ('succeeded', 'failed') and finished_at is not null
            and finished_at > now() - make_interval(secs => ${DRAIN_WINDOW_MAX_SECONDS}))) as at
    ),
    unfinished as (
      select count(*) filter (where status = 'queued') as queued,
        count(*) filter (where status = 'running') as running,
        extract(epoch from now() - min(created_at) filter (where status = 'queued'
          and created_at >= coalesce((select at from claimed), '-infinity'::timestamptz)))::float8 as line_age_seconds
      from ${jobs} where status in ('queued', 'running')
    ),
    framed as (
      select *, least(greatest(coalesce(line_age_seconds, 0), ${DRAIN_WINDOW_MIN_SECONDS}::float8),
        ${DRAIN_WINDOW_MAX_SECONDS}::float8) as window_seconds
      from unfinished
    )
    select queued, running, line_age_seconds, window_seconds,
      (select count(*) from ${jobs}
        where status in ('succeeded', 'failed') and finished_at is not null
          and finished_at > now() - make_interval(secs => framed.window_seconds)) as finished
    from framed`);
  const row = rows[0];
  return {
    queued: Number(row?.queued ?? 0),
    running: Number(row?.running ?? 0),
    lineAgeSeconds: Math.max(0, Number(row?.line_age_seconds ?? 0)),
    finished: Number(row?.finished ?? 0),
    windowSeconds: Number(row?.window_seconds ?? DRAIN_WINDOW_MIN_SECONDS),
  };
}

/**
 * What this isolate knows of the backlog beyond its last count, per database handle: jobs it has
 * admitted (ever) and creations it has let past the measurement that have not been decided yet.
 */
type IsolateTally = { admitted: number; inHand: number };
const tallies = new WeakMap<Db, IsolateTally>();
const tallyOf = (db: Db): IsolateTally => {
  const tally = tallies.get(db) ?? { admitted: 0, inHand: 0 };
  tallies.set(db, tally);
  return tally;
};

/**
 * A settled read: the figures, when, and the last pace this isolate measured from a standing line
 * (theirs, when they show one) if within `PACE_MEMORY_SECONDS`.
 */
type Measurement = { figures: DrainFigures; readAt: number; recentPace: number | null };

/**
 * How long a pace measured from a standing line still judges a younger one. Under overload the
 * line dips under `DRAIN_WINDOW_MIN_SECONDS` now and then; with no pace, admission would open to
 * the ceiling for a measurement period each time, and a batch arriving then would be admitted
 * whatever its wait. A pace the stack showed under load this recently is its capacity, not a light
 * load's trickle.
 */
export const PACE_MEMORY_SECONDS = 60;

/** The last pace measured from a standing line, per handle, and when. */
const lastPace = new WeakMap<Db, { rate: number; at: number }>();

/** The isolate's last settled read per handle, for the refusal that reads nothing. */
const lastRead = new WeakMap<Db, Measurement>();

/**
 * The latest count of the unfinished jobs this isolate has seen, per handle: the measurement's
 * (queued + running), or the one a creation's own statements made since (admission counts the
 * backlog whether it admits or refuses), with when it came and the isolate's admitted tally then.
 */
type Counted = { unfinished: number; at: number; admittedBefore: number };
const lastCounted = new WeakMap<Db, Counted>();

/**
 * Takes a count as of when its answer came: the jobs this isolate admitted before then are taken
 * to be in it. One whose commit fell between the count's snapshot and its answer is not, so the
 * estimate may run a job short until the next count (a few milliseconds at the rates where it
 * matters); the counts decide wherever it admits. Taking the count as of when its statement was
 * sent errs the other way, by every admission in flight meanwhile: under a burst, all of them.
 */
function noteCount(db: Db, unfinished: number): void {
  lastCounted.set(db, { unfinished, at: Date.now(), admittedBefore: tallyOf(db).admitted });
}

const drainCache = createTtlCache(async (db: Db): Promise<Measurement> => {
  const figures = await readDrainFigures(db);
  const readAt = Date.now();
  const measured = standingPace(figures);
  if (measured !== null) lastPace.set(db, { rate: measured, at: readAt });
  const last = lastPace.get(db);
  const recentPace = last && readAt - last.at <= PACE_MEMORY_SECONDS * 1000 ? last.rate : null;
  const read = { figures, readAt, recentPace };
  lastRead.set(db, read);
  noteCount(db, figures.queued + figures.running);
  return read;
});

/** What an isolate saw after its last count: time passed, jobs it admitted, creations in hand. */
export type SinceCount = { elapsedMs: number; admitted: number; inHand: number };

/**
 * The unfinished jobs now, estimated from the last count: those it counted, plus the jobs this
 * isolate admitted since and the creations it has in hand (let past the measurement, not yet
 * decided), less what the measured pace finished since. Exact counts decide wherever this admits;
 * it only lets a creation the count would refuse be refused without the count's lookups. Other
 * isolates' admissions since the last count are not in it (the counted path sees them).
 */
export function estimateUnfinished(counted: number, drainRate: number | null, since: SinceCount): number {
  const finishedSince = drainRate === null ? 0 : Math.floor((drainRate * since.elapsedMs) / 1000);
  return Math.max(0, counted + since.admitted + since.inHand - finishedSince);
}

function estimatedUnfinished(db: Db, drainRate: number | null): number {
  const tally = tallyOf(db);
  const counted = lastCounted.get(db) ?? { unfinished: 0, at: Date.now(), admittedBefore: tally.admitted };
  return estimateUnfinished(counted.unfinished, drainRate, {
    elapsedMs: Date.now() - counted.at,
    admitted: tally.admitted - counted.admittedBefore,
    inHand: tally.inHand,
  });
}

/**
 * A creation's place in this isolate's estimate while it is decided (the caller's lookup, the
 * counts, the insert), so that creations arriving meanwhile count it: taken as it passes the
 * measurement, resized once its images are known, and let go in the same step as a count that
 * includes or refuses it is noted, or when the request ends.
 */
export class DecisionHold {
  readonly #tally: IsolateTally;
  #held = 0;

  constructor(db: Db, jobs: number) {
    this.#tally = tallyOf(db);
    this.hold(jobs);
  }

  /** Jobs held now. */
  get held(): number {
    return this.#held;
  }

  /** Holds `jobs` instead of what was held. */
  hold(jobs: number): void {
    this.#tally.inHand += jobs - this.#held;
    this.#held = jobs;
  }

  release(): void {
    this.hold(0);
  }
}

/** The measurement this isolate last read, if younger than `cacheSeconds`, else a new one. */
const drainMeasurement = (db: Db, cacheSeconds: number): Promise<Measurement> =>
  drainCache(db, cacheSeconds * 1000);

/** The measurement this isolate read within `cacheSeconds`, or null: never a read. */
function recentMeasurement(db: Db, cacheSeconds: number): Measurement | null {
  const last = lastRead.get(db);
  return last && Date.now() - last.readAt < cacheSeconds * 1000 ? last : null;
}

export type AdmissionSettings = Pick<
  Config,
  | "MAX_UNFINISHED_JOBS"
  | "ADMISSION_MAX_WAIT_SECONDS"
  | "ADMISSION_OWNER_SHARE"
  | "BACKLOG_RETRY_AFTER_SECONDS"
>;

/** What a creation may add to, derived from the drain figures. */
export type AdmissionLimits = {
  /**
   * Jobs finished per second while the line stood; null when not measurable (no line, one younger
   * than `DRAIN_WINDOW_MIN_SECONDS`, or nothing finished while it stood).
   */
  drainRate: number | null;
  /**
   * Unfinished jobs allowed, all owners: what drains at the drain rate in the part of the wait
   * budget the line has not already waited, within the ceiling; 0 once the line has waited it all.
   */
  backlog: number;
  /** Unfinished jobs allowed to one owner: its share of `backlog`. */
  owner: number;
  /** Seconds the line has waited (`DrainFigures.lineAgeSeconds`), counted into every expected wait. */
  lineAgeSeconds: number;
  /** The line's age when it exceeds the budget and nothing finished while it stood: the stack has stalled. */
  stalledSeconds: number | null;
  settings: AdmissionSettings;
};

/**
 * Jobs finished per second while the line stood, or null: without a line that has stood
 * `DRAIN_WINDOW_MIN_SECONDS`, what finished says how much work came, not what the stack could do.
 */
export function standingPace(figures: DrainFigures): number | null {
  const standing = figures.queued > 0 && figures.lineAgeSeconds >= DRAIN_WINDOW_MIN_SECONDS;
  return standing && figures.finished > 0 ? figures.finished / figures.windowSeconds : null;
}

/**
 * The limits under `figures`. `recentPace`: a pace the stack showed with a standing line lately
 * (`PACE_MEMORY_SECONDS`), which judges a line younger than the standing age. A standing line
 * with nothing finished has no pace: the stack stopped draining, and past the budget it stalled.
 */
export function admissionLimits(
  figures: DrainFigures,
  settings: AdmissionSettings,
  recentPace: number | null = null,
): AdmissionLimits {
  const young = figures.queued > 0 && figures.lineAgeSeconds < DRAIN_WINDOW_MIN_SECONDS;
  const drainRate = standingPace(figures) ?? (young ? recentPace : null);
  const backlog =
    drainRate === null
      ? settings.MAX_UNFINISHED_JOBS
      : Math.min(
          settings.MAX_UNFINISHED_JOBS,
          Math.max(0, Math.floor(drainRate * (settings.ADMISSION_MAX_WAIT_SECONDS - figures.lineAgeSeconds))),
        );
  const stalled =
    drainRate === null && figures.queued > 0 && figures.lineAgeSeconds > settings.ADMISSION_MAX_WAIT_SECONDS;
  return {
    drainRate,
    backlog,
    owner: Math.max(1, Math.floor(backlog * settings.ADMISSION_OWNER_SHARE)),
    lineAgeSeconds: drainRate === null ? 0 : figures.lineAgeSeconds,
    stalledSeconds: stalled ? figures.lineAgeSeconds : null,
    settings,
  };
}

export type BacklogCounts = {
  /** Unfinished jobs of all owners. */
  unfinished: number;
  /** Unfinished jobs of the creating owner. */
  ownerUnfinished: number;
  /** Jobs the creation asks for (one per image). */
  requested: number;
};

export const RefusalReasonSchema = z.enum([
  "max_unfinished",
  "expected_wait",
  "oldest_queued",
  "owner_share",
]);
export type RefusalReason = z.infer<typeof RefusalReasonSchema>;

/**
 * What a refusal rests on: `measurement`, the isolate's drain measurement brought forward (an
 * estimate, answered before the caller is even looked up), or `count`, the backlog counted for this
 * request.
 */
export const RefusalBasisSchema = z.enum(["measurement", "count"]);
export type RefusalBasis = z.infer<typeof RefusalBasisSchema>;

/** `details` of a `backlog_full` refusal. */
export const BacklogFullDetailsSchema = z.object({
  reason: RefusalReasonSchema,
  basis: RefusalBasisSchema,
  /**
   * Unfinished jobs by the rule: the caller's for `owner_share`, everyone's otherwise; estimated
   * when `basis` is `measurement`.
   */
  unfinished: z.number().int().nonnegative(),
  /** What the rule allows of them; 0 once the line has waited the whole budget. */
  limit: z.number().int().nonnegative(),
  /**
   * The line's age plus the backlog (this request included) ÷ the drain rate, or the line's age
   * when nothing drains; null when neither is known.
   */
  expectedWaitSeconds: z.number().nonnegative().nullable(),
  maxWaitSeconds: z.number().int().positive(),
});
export type BacklogFullDetails = z.infer<typeof BacklogFullDetailsSchema>;

/** Which rule refuses a creation of `counts.requested` jobs, or null when all admit it. */
export function refusalReason(limits: AdmissionLimits, counts: BacklogCounts): RefusalReason | null {
  const { settings } = limits;
  if (counts.unfinished + counts.requested > settings.MAX_UNFINISHED_JOBS) return "max_unfinished";
  if (limits.stalledSeconds !== null) return "oldest_queued";
  if (counts.unfinished + counts.requested > limits.backlog) return "expected_wait";
  if (counts.ownerUnfinished + counts.requested > limits.owner) return "owner_share";
  return null;
}

/**
 * The refusal: `Retry-After` is the time the jobs in excess take to drain at the measured rate
 * (at least 1 s, at most the wait budget, after which the state is worth a new look); without a
 * rate, `BACKLOG_RETRY_AFTER_SECONDS`.
 */
export function backlogFull(
  limits: AdmissionLimits,
  counts: BacklogCounts,
  reason: RefusalReason,
  basis: RefusalBasis,
): ApiError {
  const { settings, drainRate } = limits;
  const owned = reason === "owner_share";
  const excess = owned
    ? counts.ownerUnfinished + counts.requested - limits.owner
    : counts.unfinished + counts.requested - limits.backlog;
  const retryAfter =
    drainRate === null
      ? settings.BACKLOG_RETRY_AFTER_SECONDS
      : Math.min(settings.ADMISSION_MAX_WAIT_SECONDS, Math.max(1, Math.ceil(excess / drainRate)));
  const wait =
    drainRate === null
      ? limits.stalledSeconds
      : limits.lineAgeSeconds + (counts.unfinished + counts.requested) / drainRate;
  const expectedWaitSeconds = wait === null ? null : Math.round(wait * 10) / 10;
  const message = owned
    ? "You already have your share of the jobs waiting for detection; retry shortly"
    : "Too many jobs are waiting for detection; retry shortly";
  const details: BacklogFullDetails = {
    reason,
    basis,
    unfinished: owned ? counts.ownerUnfinished : counts.unfinished,
    limit: owned ? limits.owner : reason === "max_unfinished" ? settings.MAX_UNFINISHED_JOBS : limits.backlog,
    expectedWaitSeconds,
    maxWaitSeconds: settings.ADMISSION_MAX_WAIT_SECONDS,
  };
  return new ApiError("backlog_full", message, { headers: { "Retry-After": String(retryAfter) }, details });
}

/**
 * Throws the refusal when a rule refuses; the early check, without the lock, from counts read
 * with the images. The count is noted for the isolate's estimate; a refused creation's `hold` is
 * let go with it (an admitted one stays held until the insert).
 */
export function assertAdmissible(
  db: Db,
  limits: AdmissionLimits,
  counts: BacklogCounts,
  hold?: DecisionHold,
): void {
  noteCount(db, counts.unfinished);
  const reason = refusalReason(limits, counts);
  if (!reason) return;
  hold?.release();
  throw backlogFull(limits, counts, reason, "count");
}

/**
 * The refusal this isolate's measurement already calls for, without a statement: the measurement
 * is younger than twice `ADMISSION_CACHE_SECONDS` (as for `measuredRefusal`, which has asked for
 * the next one by then) and the estimated backlog (`estimatedUnfinished`), with this request, is past
 * the ceiling or the wait budget (or the stack has stalled). `held`: jobs of this request already
 * in the estimate (a `DecisionHold`), so not counted twice. Null when the measurement is older,
 * or admits it, or only the owner's share could refuse (that needs the owner's count): the counted
 * path then decides.
 */
export function fastRefusal(db: Db, config: Config, requested: number, held = 0): ApiError | null {
  const measurement = recentMeasurement(db, 2 * config.ADMISSION_CACHE_SECONDS);
  return measurement ? refusalByMeasurement(db, measurement, config, requested, held) : null;
}

/**
 * The isolate's drain measurement, as every admission decision of a creation takes it. One older
 * than `ADMISSION_CACHE_SECONDS` but younger than twice that still serves, while `background`
 * reads the next one (so no creation waits for the read that renews it each period); an older
 * one, or none, is read first (one statement, shared by the requests that come meanwhile). With
 * caching off (0) every call reads. The shed, the recheck after authentication and the counted
 * path thus judge a creation under the same limits, except when a read lands between them.
 */
async function measurement(
  db: Db,
  config: Config,
  background: (work: Promise<unknown>) => void,
): Promise<Measurement> {
  const period = config.ADMISSION_CACHE_SECONDS;
  const recent = recentMeasurement(db, 2 * period);
  if (recent) {
    if (!recentMeasurement(db, period)) background(drainMeasurement(db, period).catch(() => null));
    return recent;
  }
  const read = await drainMeasurement(db, period);
  return recentMeasurement(db, 2 * period) ?? read;
}

/**
 * The refusal the isolate's drain measurement (`measurement`) calls for. Null when caching is off
 * (0: nothing to decide from before the counts), when the read fails (the counted path then meets
 * the same failure and answers it), or when the estimate admits the job.
 */
export async function measuredRefusal(
  db: Db,
  config: Config,
  requested: number,
  background: (work: Promise<unknown>) => void,
): Promise<ApiError | null> {
  if (config.ADMISSION_CACHE_SECONDS === 0) return null;
  const read = await measurement(db, config, background).catch(() => null);
  return read ? refusalByMeasurement(db, read, config, requested) : null;
}

/** Every rule but the owner's share (it needs the owner's count) against the estimated backlog. */
function refusalByMeasurement(
  db: Db,
  measurement: Measurement,
  config: Config,
  requested: number,
  held = 0,
): ApiError | null {
  const limits = admissionLimits(measurement.figures, config, measurement.recentPace);
  const counts = {
    unfinished: Math.max(0, estimatedUnfinished(db, limits.drainRate) - held),
    ownerUnfinished: 0,
    requested,
  };
  const reason = refusalReason(limits, counts);
  return reason === null || reason === "owner_share"
    ? null
    : backlogFull(limits, counts, reason, "measurement");
}

/** The limits for this creation: the isolate's drain measurement (`measurement`) under the settings. */
export async function currentLimits(
  db: Db,
  config: Config,
  background: (work: Promise<unknown>) => void,
): Promise<AdmissionLimits> {
  const read = await measurement(db, config, background);
  return admissionLimits(read.figures, config, read.recentPace);
}

type Job = typeof jobs.$inferSelect;

export type NewJob = Pick<Job, "ownerId" | "imageId" | "model" | "params" | "traceparent">;

/**
 * Inserts `rows` (all of one owner) only if the unfinished jobs stay within `limits.backlog` and
 * the owner's within `limits.owner`, atomically, or throws the refusal: one non-interactive
 * batch (one round trip over the HTTP driver) takes a transaction-scoped advisory lock, then
 * inserts conditionally on both counts. Concurrent creations wait for the lock, and each counts
 * after the previous one committed (READ COMMITTED takes a new snapshot per statement), so the
 * limits hold under any concurrency; the lock is released at commit.
 */
export async function admitJobs(
  db: Db,
  rows: NewJob[],
  limits: AdmissionLimits,
  hold?: DecisionHold,
): Promise<Job[]> {
  const ownerId = rows[0]?.ownerId as string;
  const ids = rows.map(() => uuidv7());
  const values = sql.join(
    rows.map(
      (row, i) =>
        sql`(${ids[i]}::uuid, ${row.ownerId}::uuid, ${row.imageId}::uuid, ${row.model}, ${JSON.stringify(row.params)}::jsonb, ${row.traceparent}, ${i}::int)`,
    ),
    sql`, `,
  );
  const counts = {
    unfinished: unfinishedJobsUpTo(limits.backlog),
    ownerUnfinished: ownerUnfinishedJobsUpTo(ownerId, limits.owner),
  };
  const [, , created, after] = await db.batch([
    db.execute(sql`select pg_advisory_xact_lock(${ADMISSION_LOCK_KEY})`),
    db.execute(sql`insert into ${jobs} (id, owner_id, image_id, model, params, traceparent, enqueued_at)
      select id, owner_id, image_id, model, params, traceparent, now()
      from (values ${values}) as row (id, owner_id, image_id, model, params, traceparent, position)
      where ${counts.unfinished} + ${rows.length} <= ${limits.backlog}
        and ${counts.ownerUnfinished} + ${rows.length} <= ${limits.owner}
      order by position`),
    db.select().from(jobs).where(inArray(jobs.id, ids)),
    db.select(counts).from(sql`(select 1) as one`),
  ]);
  // In one step: the admitted jobs, the count that includes them, and the hold let go.
  tallyOf(db).admitted += created.length;
  // Counted up to the limit + 1 only: enough for every decision under these limits.
  noteCount(db, after[0]?.unfinished ?? 0);
  hold?.release();
  if (created.length === 0) {
    const found = { unfinished: after[0]?.unfinished ?? 0, ownerUnfinished: after[0]?.ownerUnfinished ?? 0 };
    const refused = { ...found, requested: rows.length };
    // A job may have finished since the insert's count: the refusal then names the rule it met.
    const reason =
      refusalReason(limits, refused) ??
      (limits.backlog < limits.settings.MAX_UNFINISHED_JOBS ? "expected_wait" : "max_unfinished");
    throw backlogFull(limits, refused, reason, "count");
  }
  const byId = new Map(created.map((job) => [job.id, job]));
  return ids.map((id) => byId.get(id) as Job);
}

/** The caller's and the system's unfinished jobs, for the early check, bounded by the ceiling. */
export function backlogCountFields(ownerId: string, maxUnfinished: number) {
  return {
    unfinished: unfinishedJobsUpTo(maxUnfinished),
    ownerUnfinished: ownerUnfinishedJobsUpTo(ownerId, maxUnfinished),
  };
}
