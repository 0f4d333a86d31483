import { beforeEach, describe, expect, test } from "bun:test";
import { jobs } from "@db/schema";
import {
  type AdmissionSettings,
  admissionLimits,
  BacklogFullDetailsSchema,
  DRAIN_WINDOW_MIN_SECONDS,
  type DrainFigures,
  estimateUnfinished,
  refusalReason,
} from "@edge/jobs/admission";
import { QueuedJobsSchema } from "@edge/routes/jobs/schema";
import { freePort } from "@scripts/local-stack/ports";
import { startSqlOverHttp } from "@scripts/local-stack/sql-over-http";
import { GENEROUS_AUTH_LIMITS, signedInUser } from "@scripts/testing/auth-fixtures";
import { insertImage, insertJob, insertUser } from "@scripts/testing/job-fixtures";
import { expectError, readBody } from "@scripts/testing/responses";
import { sharedServices } from "@scripts/testing/shared-services";
import { startTestWorker, type TestWorker, useTestWorker } from "@scripts/testing/test-worker";
import { eq } from "drizzle-orm";

// Admission by time: with a known pace (jobs finished while a line of queued jobs stood) and a
// backlog arranged in the database, creation is accepted while the jobs ahead finish within the
// budget and refused past it, with a Retry-After derived from the pace; one owner holds at most its
// share.

const MAX_WAIT = 180;
/**
 * The age of the line most tests arrange: a minute, so the pace is read over the whole longest
 * window (60 s), and just over it, leaving 119.95 s of the budget: room for 0.95 s of test time
 * before a pace of 1 job/s admits one job fewer (0.5 jobs/s: 1.9 s).
 */
const LINE_AGE = 60.05;
const FALLBACK_RETRY_AFTER = 7;

const VARS = {
  ADMISSION_MAX_WAIT_SECONDS: String(MAX_WAIT),
  ADMISSION_OWNER_SHARE: "0.5",
  // Every creation measures afresh: each test arranges its own state.
  ADMISSION_CACHE_SECONDS: "0",
  MAX_UNFINISHED_JOBS: "1000",
  BACKLOG_RETRY_AFTER_SECONDS: String(FALLBACK_RETRY_AFTER),
  RATE_LIMIT_WRITE: "1000/60s",
  ...GENEROUS_AUTH_LIMITS,
};

const worker = useTestWorker({ vars: VARS });

const secondsAgo = (seconds: number) => new Date(Date.now() - seconds * 1000);

/**
 * Jobs of a user of their own: `finished` at the given ages (created `finishedCreatedAgeSeconds`
 * ago, else 2 s before), `queued` created `queuedAgeSeconds` ago (the line, when no finished job was
 * created after them), and `lost` queued jobs created `lostAgeSeconds` ago.
 */
async function arrange(
  target: TestWorker,
  state: {
    finished?: number[];
    finishedCreatedAgeSeconds?: number;
    queued?: number;
    queuedAgeSeconds?: number;
    lost?: number;
    lostAgeSeconds?: number;
  },
) {
  const ownerId = await insertUser(target);
  const image = await insertImage(target, ownerId, { storeObject: false });
  await Promise.all([
    ...Array.from({ length: state.lost ?? 0 }, () =>
      insertJob(target, ownerId, image.id, { createdAt: secondsAgo(state.lostAgeSeconds ?? 0) }),
    ),
    ...(state.finished ?? []).map((age) =>
      insertJob(target, ownerId, image.id, {
        status: "succeeded",
        createdAt: secondsAgo(state.finishedCreatedAgeSeconds ?? age + 2),
        startedAt: secondsAgo(age + 1),
        finishedAt: secondsAgo(age),
      }),
    ),
    ...Array.from({ length: state.queued ?? 0 }, () =>
      insertJob(target, ownerId, image.id, { createdAt: secondsAgo(state.queuedAgeSeconds ?? 0) }),
    ),
  ]);
}

/** 30 jobs finished over the last 30 s: 0.5 jobs/s over the one-minute window. */
const halfAJobPerSecond = Array.from({ length: 30 }, (_, i) => 1 + i);

async function create(target: TestWorker, caller: { auth: string; user: { id: string } }, images = 1) {
  const imageIds = await Promise.all(
    Array.from(
      { length: images },
      async () => (await insertImage(target, caller.user.id, { storeObject: false })).id,
    ),
  );
  return target.fetch("/v1/jobs", {
    method: "POST",
    headers: { Authorization: caller.auth, "Content-Type": "application/json" },
    body: JSON.stringify(images === 1 ? { imageId: imageIds[0] } : { imageIds }),
  });
}

async function expectAccepted(response: Response, count: number) {
  expect(response.status).toBe(202);
  expect((await readBody(response, QueuedJobsSchema)).jobs).toHaveLength(count);
}

async function expectBacklogFull(response: Response) {
  const error = await expectError(response, 503, "backlog_full");
  return {
    retryAfter: Number(response.headers.get("retry-after")),
    details: BacklogFullDetailsSchema.parse(error.details),
  };
}

const unfinishedOf = async (target: TestWorker, ownerId: string) =>
  (await target.db.select({ status: jobs.status }).from(jobs).where(eq(jobs.ownerId, ownerId))).filter(
    (job) => job.status === "queued" || job.status === "running",
  ).length;

beforeEach(async () => {
  await worker.current.db.delete(jobs);
});

describe("admission by expected wait", () => {
  test("accepted while the jobs ahead finish within the budget at the measured pace; refused past it", async () => {
    const target = worker.current;
    // 0.5 jobs/s while a line of 50 stood a minute: 120 s of the 180 s budget left, 59 jobs' worth.
    await arrange(target, {
      finished: halfAJobPerSecond,
      finishedCreatedAgeSeconds: 100,
      queued: 50,
      queuedAgeSeconds: LINE_AGE,
    });
    const [a, b] = await Promise.all([signedInUser(target), signedInUser(target)]);

    await expectAccepted(await create(target, a), 1);
    // 51 + 14 = 65 jobs: 130 s at 0.5 jobs/s after the line's minute. The 6 in excess drain in 12 s.
    const refused = await expectBacklogFull(await create(target, b, 14));
    expect(refused.details).toMatchObject({
      reason: "expected_wait",
      unfinished: 51,
      limit: 59,
      maxWaitSeconds: MAX_WAIT,
    });
    expect(refused.details.expectedWaitSeconds).toBeGreaterThanOrEqual(190);
    expect(refused.details.expectedWaitSeconds).toBeLessThan(193);
    expect(refused.retryAfter).toBe(12);
    expect(await unfinishedOf(target, b.user.id)).toBe(0);

    // A batch counts one job per image: 8 fit exactly, then nothing more.
    await expectAccepted(await create(target, b, 8), 8);
    const full = await expectBacklogFull(await create(target, a));
    expect(full.details.reason).toBe("expected_wait");
    expect(full.retryAfter).toBe(2);
  }, 60_000);

  test("a faster pace admits a deeper backlog: the limit follows the completion rate", async () => {
    const target = worker.current;
    // Twice the completions: 1 job/s, 119 jobs in the 120 s left (fewer as the line ages a second
    // or two more); at 0.5 jobs/s the same line took 59.
    await arrange(target, {
      finished: [...halfAJobPerSecond, ...halfAJobPerSecond],
      finishedCreatedAgeSeconds: 100,
      queued: 90,
      queuedAgeSeconds: LINE_AGE,
    });
    const caller = await signedInUser(target);
    await expectAccepted(await create(target, caller, 20), 20);
    const refused = await expectBacklogFull(await create(target, caller, 10));
    expect(refused.details).toMatchObject({ reason: "expected_wait", unfinished: 110 });
    expect(refused.details.limit).toBeGreaterThanOrEqual(117);
    expect(refused.details.limit).toBeLessThanOrEqual(119);
    // The jobs in excess drain in as many seconds.
    expect(refused.retryAfter).toBe(110 + 10 - refused.details.limit);
  }, 60_000);

  test("the pace is measured over the time a queue has stood, not over idle time before it", async () => {
    const target = worker.current;
    // A line 10 s old, and 5 completions within it: 0.5 jobs/s, 85 jobs in the 170 s left. The 30
    // completions of 30–50 s ago, before the line, would read 35/60 ≈ 0.58 jobs/s over a full minute
    // (99 jobs); they do not count.
    await arrange(target, {
      finished: [...[1, 2.5, 4, 5.5, 7], ...Array.from({ length: 30 }, (_, i) => 30 + i * 0.6)],
      finishedCreatedAgeSeconds: 60,
      queued: 83,
      queuedAgeSeconds: 10,
    });
    const caller = await signedInUser(target);
    const refused = await expectBacklogFull(await create(target, caller, 3));
    expect(refused.details.limit).toBeLessThanOrEqual(85);
    expect(refused.details.reason).toBe("expected_wait");
  }, 60_000);
});

describe("the time the line has already waited counts", () => {
  test("line age + backlog ÷ rate within the budget is accepted, one job past it refused", async () => {
    const target = worker.current;
    // 0.5 jobs/s (30 completions in the 60 s window). The line of 29 was created 99 s ago, after
    // every job claimed so far: 180 − 99 s of budget left, 40 jobs' worth. The lost job (overtaken
    // by later claims) counts as unfinished but not as the line's age, though it is older than the
    // budget.
    await arrange(target, {
      finished: halfAJobPerSecond,
      finishedCreatedAgeSeconds: 120,
      queued: 29,
      queuedAgeSeconds: 99,
      lost: 1,
      lostAgeSeconds: 200,
    });
    const [a, b] = await Promise.all([signedInUser(target), signedInUser(target)]);

    // 30 + 10 = 40 jobs: 99 + 80 s, the budget to within a second. Without the line's age, 90 fit.
    await expectAccepted(await create(target, a, 10), 10);
    const refused = await expectBacklogFull(await create(target, b));
    expect(refused.details).toMatchObject({
      reason: "expected_wait",
      unfinished: 40,
      limit: 40,
      maxWaitSeconds: MAX_WAIT,
    });
    // 99 s waited + 41 jobs ÷ 0.5 jobs/s.
    expect(refused.details.expectedWaitSeconds).toBeGreaterThanOrEqual(181);
    expect(refused.details.expectedWaitSeconds).toBeLessThan(183);
    expect(refused.retryAfter).toBe(2);
  }, 60_000);

  test("a line that has waited the whole budget refuses every creation while jobs finish", async () => {
    const target = worker.current;
    await arrange(target, {
      finished: halfAJobPerSecond,
      finishedCreatedAgeSeconds: 200,
      queued: 3,
      queuedAgeSeconds: MAX_WAIT + 5,
    });
    const refused = await expectBacklogFull(await create(target, await signedInUser(target)));
    expect(refused.details).toMatchObject({ reason: "expected_wait", unfinished: 3, limit: 0 });
    expect(refused.details.expectedWaitSeconds).toBeGreaterThan(MAX_WAIT);
    expect(refused.retryAfter).toBeGreaterThanOrEqual(1);
    expect(refused.retryAfter).toBeLessThanOrEqual(MAX_WAIT);
  }, 60_000);
});

/**
 * A Worker that reuses its measurement for 10 s, with its own SQL endpoint so that the statements
 * a request sends can be counted (`sent()`), on an empty jobs table.
 */
async function withMeasuringWorker(run: (target: TestWorker, sent: () => number) => Promise<void>) {
  const { pg } = await sharedServices();
  const endpoint = startSqlOverHttp({
    port: await freePort(),
    target: { host: "127.0.0.1", port: pg.port },
    poolSize: 4,
  });
  let target: TestWorker | undefined;
  try {
    target = await startTestWorker({
      sqlEndpoint: endpoint.url,
      vars: { ...VARS, ADMISSION_CACHE_SECONDS: "10" },
    });
    await target.db.delete(jobs);
    await run(target, () => endpoint.stats().requests);
  } finally {
    await target?.dispose();
    await endpoint.stop().catch(() => {});
  }
}

describe("refusal from the isolate's last measurement", () => {
  test("over the limit by the isolate's figures, creation is refused before any lookup of its own", async () => {
    await withMeasuringWorker(async (target, sent) => {
      // 0.5 jobs/s while a line of 59 stood a minute: 59 jobs' worth of budget left, and 60
      // unfinished with the lost job.
      await arrange(target, {
        finished: halfAJobPerSecond,
        finishedCreatedAgeSeconds: 100,
        queued: 59,
        queuedAgeSeconds: LINE_AGE,
        lost: 1,
        lostAgeSeconds: 200,
      });
      const caller = await signedInUser(target);
      const imageId = (await insertImage(target, caller.user.id, { storeObject: false })).id;
      const send = () =>
        target.fetch("/v1/jobs", {
          method: "POST",
          headers: { Authorization: caller.auth, "Content-Type": "application/json" },
          body: JSON.stringify({ imageId }),
        });
      // The first creation measures, before any lookup of its own: the drain figures alone (the
      // caller's lookup, quota, counts and images would follow had they admitted it).
      let statements = sent();
      const first = await expectBacklogFull(await send());
      expect(first.details).toMatchObject({
        reason: "expected_wait",
        basis: "measurement",
        unfinished: 60,
        limit: 59,
      });
      expect(sent() - statements).toBe(1);

      // The figures are cached now: the same refusal before any lookup, the caller's included.
      statements = sent();
      const fast = await expectBacklogFull(await send());
      expect(fast.details).toMatchObject({ reason: "expected_wait", unfinished: 60, limit: 59 });
      expect(fast.retryAfter).toBe(4);
      expect(sent() - statements).toBe(0);
      // Shed before authentication: a request without valid credentials learns only that the
      // system is busy. Other routes still authenticate first.
      const anonymous = await target.fetch("/v1/jobs", {
        method: "POST",
        headers: { Authorization: "Bearer not-a-token", "Content-Type": "application/json" },
        body: JSON.stringify({ imageId }),
      });
      await expectBacklogFull(anonymous);
      await expectError(
        await target.fetch("/v1/jobs", { headers: { Authorization: "Bearer not-a-token" } }),
        401,
        "unauthorized",
      );
      // A keyed creation is authenticated first (its replay would come before any refusal).
      statements = sent();
      const keyed = await target.fetch("/v1/jobs", {
        method: "POST",
        headers: {
          Authorization: caller.auth,
          "Content-Type": "application/json",
          "Idempotency-Key": crypto.randomUUID(),
        },
        body: JSON.stringify({ imageId }),
      });
      await expectBacklogFull(keyed);
      expect(sent() - statements).toBeGreaterThan(0);
      expect(await target.db.select({ id: jobs.id }).from(jobs)).toHaveLength(90);
    });
  }, 60_000);
});

describe("the measurement brought forward by what the isolate admitted and holds", () => {
  /**
   * A measuring Worker with 0.2 jobs/s while a line of 20 stood a minute, so 23 unfinished are
   * allowed and 21 stand (with a lost job): room for two jobs. At that pace the estimate takes
   * nothing off for completions within the test's first 5 s.
   */
  async function roomForTwo(run: (target: TestWorker, statements: () => number) => Promise<void>) {
    await withMeasuringWorker(async (target, sent) => {
      await arrange(target, {
        finished: Array.from({ length: 12 }, (_, i) => 1 + i),
        finishedCreatedAgeSeconds: 100,
        queued: 20,
        queuedAgeSeconds: LINE_AGE,
        lost: 1,
        lostAgeSeconds: 200,
      });
      await run(target, sent);
    });
  }

  test("jobs this isolate admitted since its measurement count: the next one over is shed", async () => {
    await roomForTwo(async (target, statements) => {
      const caller = await signedInUser(target);
      await expectAccepted(await create(target, caller), 1);
      await expectAccepted(await create(target, caller), 1);
      // The measurement still says 21, but this isolate admitted two since it was read.
      const before = statements();
      const refused = await expectBacklogFull(await create(target, caller));
      expect(refused.details).toMatchObject({
        reason: "expected_wait",
        basis: "measurement",
        unfinished: 23,
        limit: 23,
      });
      expect(statements() - before).toBe(0);
      expect(await unfinishedOf(target, caller.user.id)).toBe(2);
    });
  }, 60_000);

  test("a count made by a creation's own statements corrects the estimate for the ones after it", async () => {
    await roomForTwo(async (target, statements) => {
      const caller = await signedInUser(target);
      const other = await signedInUser(target);
      await expectAccepted(await create(target, other), 1); // measures: 21 counted, room for two
      // Another isolate's admission, which this isolate's estimate cannot know of.
      const image = await insertImage(target, other.user.id, { storeObject: false });
      await insertJob(target, other.user.id, image.id);
      // The estimate (22 + 1) admits, so the counts decide: 23 + 1 is past the limit.
      const counted = await expectBacklogFull(await create(target, caller));
      expect(counted.details).toMatchObject({ basis: "count", unfinished: 23, limit: 23 });
      // That count is the isolate's latest: the next creation is shed without a statement.
      const before = statements();
      const shed = await expectBacklogFull(await create(target, caller));
      expect(shed.details).toMatchObject({ basis: "measurement", unfinished: 23, limit: 23 });
      expect(statements() - before).toBe(0);
    });
  }, 60_000);

  test("a creation of several films is judged on all of them before the counts", async () => {
    await roomForTwo(async (target, statements) => {
      const caller = await signedInUser(target);
      // Shed-backlog lets it past as one job (21 + 1 ≤ 23); its three are judged after the
      // caller's lookup, from the estimate: 21 + 3 > 23, with no count of its own.
      const before = statements();
      const refused = await expectBacklogFull(await create(target, caller, 3));
      expect(refused.details).toMatchObject({ basis: "measurement", unfinished: 21, limit: 23 });
      // The drain read and the caller's lookup; no counts, no insert.
      expect(statements() - before).toBe(2);
      await expectAccepted(await create(target, caller, 2), 2);
      expect(await unfinishedOf(target, caller.user.id)).toBe(2);
    });
  }, 60_000);

  test("creations in hand count: of ten at once with room for two, the rest are shed, not counted", async () => {
    await roomForTwo(async (target) => {
      const caller = await signedInUser(target);
      const imageId = (await insertImage(target, caller.user.id, { storeObject: false })).id;
      const send = () =>
        target.fetch("/v1/jobs", {
          method: "POST",
          headers: { Authorization: caller.auth, "Content-Type": "application/json" },
          body: JSON.stringify({ imageId }),
        });
      // Measure first, so every creation below meets the same measurement.
      await expectAccepted(await send(), 1);
      const answers = await Promise.all(Array.from({ length: 10 }, send));
      const accepted = answers.filter((r) => r.status === 202);
      const refusals = await Promise.all(answers.filter((r) => r.status !== 202).map(expectBacklogFull));
      expect(accepted).toHaveLength(1);
      expect(await unfinishedOf(target, caller.user.id)).toBe(2);
      // Without the hold all nine would pass the measurement (21 + 1 + 1 ≤ 23) to be counted.
      expect(refusals.filter((r) => r.details.basis === "measurement").length).toBeGreaterThanOrEqual(7);
    });
  }, 60_000);
});

describe("admission without a measured pace", () => {
  test("cold start: nothing finished yet, a fresh system accepts work up to the count ceiling", async () => {
    const target = worker.current;
    await arrange(target, { queued: 40, queuedAgeSeconds: 2 });
    const caller = await signedInUser(target);
    await expectAccepted(await create(target, caller, 50), 50);
    await expectAccepted(await create(target, caller, 50), 50);
  }, 60_000);

  test("no queue: a pace measured on light traffic does not hold back a batch on an idle stack", async () => {
    const target = worker.current;
    // One job a minute ago would read 1/60 jobs/s: two jobs' worth of budget.
    await arrange(target, { finished: [20] });
    const caller = await signedInUser(target);
    await expectAccepted(await create(target, caller, 50), 50);
  }, 60_000);

  /** A Worker of its own (so no pace it measured before) with the default 6 s budget, jobs cleared. */
  async function withDefaultBudget(run: (target: TestWorker) => Promise<void>) {
    const target = await startTestWorker({ vars: { ...VARS, ADMISSION_MAX_WAIT_SECONDS: "6" } });
    try {
      await target.db.delete(jobs);
      await run(target);
    } finally {
      await target.dispose();
    }
  }

  /** A job finished a second ago and `queued` ones waiting 0.3 s for inference's next pull. */
  const justQueued = (queued: number) => ({
    finished: [1],
    finishedCreatedAgeSeconds: 1.5,
    queued,
    queuedAgeSeconds: 0.3,
  });

  test("a job awaiting inference's next pull is no line: an idle stack takes a strip", async () => {
    // Under the default budget a pace read from this state (1 job in a 5 s window) allowed 1
    // unfinished job and refused the strip: browser tests creating one job after another met it.
    await withDefaultBudget(async (target) => {
      await arrange(target, justQueued(1));
      await expectAccepted(await create(target, await signedInUser(target), 3), 3);
    });
  }, 60_000);

  test("a pace shown under load lately judges a line too young to show one", async () => {
    await withDefaultBudget(async (target) => {
      const caller = await signedInUser(target);
      // Under load: 10 finished while a line stood 5 s, 2 jobs/s; this creation reads it.
      await arrange(target, {
        finished: Array.from({ length: 10 }, (_, i) => 0.25 + i * 0.5),
        finishedCreatedAgeSeconds: 20,
        queued: 5,
        queuedAgeSeconds: 5,
      });
      await expectBacklogFull(await create(target, caller));
      // The line drains and a new one forms: 0.3 s old, 12 jobs. At 2 jobs/s, 11 fit in the 5.7 s
      // left; with no pace (as on a stack that was never busy) the ceiling would admit them all.
      await target.db.delete(jobs);
      await arrange(target, justQueued(12));
      const refused = await expectBacklogFull(await create(target, caller));
      expect(refused.details).toMatchObject({ reason: "expected_wait", unfinished: 12, limit: 11 });
      // The 2 in excess at the remembered pace (10 finished in the line's 5 s and a few ms: just
      // under 2 jobs/s).
      expect(refused.retryAfter).toBe(2);
    });
  }, 60_000);

  test("a line that waited past the budget with nothing finishing refuses; a lost job does not", async () => {
    const target = worker.current;
    await arrange(target, { queued: 3, queuedAgeSeconds: MAX_WAIT - 30 });
    const caller = await signedInUser(target);
    // Within the budget the queue may just be starting (inference scaling up).
    await expectAccepted(await create(target, caller), 1);

    await target.db.delete(jobs);
    await arrange(target, { queued: 3, queuedAgeSeconds: MAX_WAIT + 30 });
    const refused = await expectBacklogFull(await create(target, caller));
    expect(refused.details.reason).toBe("oldest_queued");
    expect(refused.details.expectedWaitSeconds).toBeGreaterThan(MAX_WAIT);
    expect(refused.retryAfter).toBe(FALLBACK_RETRY_AFTER);

    // A job overtaken by a later claim lost its message (the sweeper re-enqueues it): however old,
    // it is not a line that stalled, and an idle stack with one keeps accepting work.
    await target.db.delete(jobs);
    await arrange(target, { finished: [3], lost: 1, lostAgeSeconds: MAX_WAIT + 30 });
    await expectAccepted(await create(target, caller, 5), 5);
  }, 60_000);
});

describe("per-owner share", () => {
  test("owner A's burst is refused past half the admissible backlog while owner B is still accepted", async () => {
    const target = worker.current;
    // 0.5 jobs/s, and a line of 10 that has waited 130 s of the 180: 24 jobs within the budget,
    // 12 of them for one owner.
    await arrange(target, {
      finished: halfAJobPerSecond,
      finishedCreatedAgeSeconds: 140,
      queued: 10,
      queuedAgeSeconds: 130,
    });
    const [a, b] = await Promise.all([signedInUser(target), signedInUser(target)]);
    const burst = await Promise.all(
      Array.from({ length: 20 }, () => insertImage(target, a.user.id, { storeObject: false })),
    );
    // 40 single-image creations at once: the share holds exactly, as the ceiling does.
    const responses = await Promise.all(
      [...burst, ...burst].map((image) =>
        target.fetch("/v1/jobs", {
          method: "POST",
          headers: { Authorization: a.auth, "Content-Type": "application/json" },
          body: JSON.stringify({ imageId: image.id }),
        }),
      ),
    );
    const accepted = responses.filter((response) => response.status === 202);
    expect(accepted).toHaveLength(12);
    for (const response of responses.filter((r) => r.status !== 202)) {
      const refused = await expectBacklogFull(response);
      expect(refused.details).toMatchObject({ reason: "owner_share", limit: 12 });
      expect(refused.retryAfter).toBeGreaterThanOrEqual(1);
    }
    expect(await unfinishedOf(target, a.user.id)).toBe(12);

    // 10 + 12 + 1 of 24: owner B gets in at once; A, at its share, does not.
    await expectAccepted(await create(target, b), 1);
    const more = await expectBacklogFull(await create(target, a));
    expect(more.details).toMatchObject({
      reason: "owner_share",
      unfinished: 12,
      limit: 12,
      maxWaitSeconds: MAX_WAIT,
    });
    // The line's 130 s plus 24 jobs ÷ 0.5 jobs/s.
    expect(more.details.expectedWaitSeconds).toBeGreaterThanOrEqual(178);
    expect(more.details.expectedWaitSeconds).toBeLessThan(180);
    expect(more.retryAfter).toBe(2);
  }, 60_000);
});

describe("admission limits (pure)", () => {
  const settings: AdmissionSettings = {
    MAX_UNFINISHED_JOBS: 2000,
    ADMISSION_MAX_WAIT_SECONDS: 60,
    ADMISSION_OWNER_SHARE: 0.5,
    BACKLOG_RETRY_AFTER_SECONDS: 10,
  };
  const figures = (overrides: Partial<DrainFigures>): DrainFigures => ({
    queued: 0,
    running: 0,
    lineAgeSeconds: 0,
    finished: 0,
    windowSeconds: 60,
    ...overrides,
  });

  test("the measured bench pace (3.9 jobs/s) admits about a minute of work, not 2000 jobs", () => {
    // A line that has stood a minute of a two-minute budget.
    const limits = admissionLimits(figures({ queued: 300, lineAgeSeconds: 60, finished: 234 }), {
      ...settings,
      ADMISSION_MAX_WAIT_SECONDS: 120,
    });
    expect(limits.drainRate).toBeCloseTo(3.9);
    expect(limits.backlog).toBe(234);
    expect(limits.owner).toBe(117);
    expect(limits.stalledSeconds).toBeNull();
  });

  test("the ceiling caps a fast pace; no line or no completion leaves only the ceiling", () => {
    expect(admissionLimits(figures({ queued: 1, lineAgeSeconds: 5, finished: 6000 }), settings).backlog).toBe(
      2000,
    );
    expect(admissionLimits(figures({ running: 5, finished: 3 }), settings).drainRate).toBeNull();
    expect(admissionLimits(figures({ queued: 5, lineAgeSeconds: 30 }), settings)).toMatchObject({
      drainRate: null,
      backlog: 2000,
      stalledSeconds: null,
    });
    // A line past the budget with nothing finished while it stood: stalled.
    expect(admissionLimits(figures({ queued: 5, lineAgeSeconds: 61 }), settings).stalledSeconds).toBe(61);
  });

  test("a pace shown lately judges only a young line; a standing one that stopped draining has none", () => {
    const young = figures({ queued: 30, lineAgeSeconds: 0.5, finished: 1, windowSeconds: 2 });
    expect(admissionLimits(young, settings, 2)).toMatchObject({ drainRate: 2, backlog: 119 });
    expect(admissionLimits(young, settings, null)).toMatchObject({ drainRate: null, backlog: 2000 });
    // Its own pace wins over the remembered one.
    const standing = figures({ queued: 30, lineAgeSeconds: 10, finished: 5, windowSeconds: 10 });
    expect(admissionLimits(standing, settings, 2).drainRate).toBe(0.5);
    // Nothing finished while the line stood 61 s: stalled, whatever the stack did before.
    const stopped = figures({ queued: 30, lineAgeSeconds: 61, windowSeconds: 60 });
    expect(admissionLimits(stopped, settings, 2)).toMatchObject({ drainRate: null, stalledSeconds: 61 });
    // No queue, no line: no pace to judge.
    expect(admissionLimits(figures({ running: 3, finished: 4 }), settings, 2).drainRate).toBeNull();
  });

  test("a line younger than the shortest window is no pace: light load is not refused", () => {
    const sixSeconds = { ...settings, ADMISSION_MAX_WAIT_SECONDS: 6 };
    // An idle stack: one job finished a moment ago, the next one queued until inference's next
    // pull. Read as a pace (1 job in 5 s: 0.2/s) this refused a strip of three films.
    const light = admissionLimits(
      figures({ queued: 1, finished: 1, lineAgeSeconds: 0.4, windowSeconds: DRAIN_WINDOW_MIN_SECONDS }),
      sixSeconds,
    );
    expect(light).toMatchObject({ drainRate: null, backlog: 2000, stalledSeconds: null });
    expect(refusalReason(light, { unfinished: 1, ownerUnfinished: 0, requested: 3 })).toBeNull();
    // Once the line has stood the shortest window, what finished meanwhile is the pace.
    const standing = admissionLimits(
      figures({ queued: 4, finished: 1, lineAgeSeconds: DRAIN_WINDOW_MIN_SECONDS, windowSeconds: 2 }),
      sixSeconds,
    );
    expect(standing.drainRate).toBe(0.5);
    expect(standing.backlog).toBe(2);
    expect(refusalReason(standing, { unfinished: 4, ownerUnfinished: 0, requested: 1 })).toBe(
      "expected_wait",
    );
  });

  test("the line's age takes its part of the budget: the boundary admits, one more job refuses", () => {
    // 1 job/s and a line that waited 50 s of 60: 10 jobs fit.
    const limits = admissionLimits(figures({ queued: 8, finished: 60, lineAgeSeconds: 50 }), settings);
    expect(limits.backlog).toBe(10);
    expect(refusalReason(limits, { unfinished: 9, ownerUnfinished: 0, requested: 1 })).toBeNull();
    expect(refusalReason(limits, { unfinished: 9, ownerUnfinished: 0, requested: 2 })).toBe("expected_wait");
    // Waited the whole budget: nothing fits, however fast the pace.
    const spent = admissionLimits(figures({ queued: 8, finished: 6000, lineAgeSeconds: 60 }), settings);
    expect(spent.backlog).toBe(0);
    expect(refusalReason(spent, { unfinished: 0, ownerUnfinished: 0, requested: 1 })).toBe("expected_wait");
    // Without a pace the line's age is no part of a wait, only of the stall rule (past the budget).
    expect(admissionLimits(figures({ queued: 8, lineAgeSeconds: 50 }), settings)).toMatchObject({
      backlog: 2000,
      lineAgeSeconds: 0,
      stalledSeconds: null,
    });
  });

  test("the estimate: counted + admitted since + in hand − finished at the measured pace since", () => {
    const read = 44; // queued + running, as last counted
    expect(estimateUnfinished(read, null, { elapsedMs: 1500, admitted: 0, inHand: 0 })).toBe(44);
    expect(estimateUnfinished(read, null, { elapsedMs: 1500, admitted: 5, inHand: 3 })).toBe(52);
    // 10 jobs/s for 1.5 s: 15 finished since; whole jobs only.
    expect(estimateUnfinished(read, 10, { elapsedMs: 1500, admitted: 5, inHand: 3 })).toBe(37);
    expect(estimateUnfinished(read, 10, { elapsedMs: 1590, admitted: 5, inHand: 3 })).toBe(37);
    // Never below zero, however long since.
    expect(estimateUnfinished(read, 10, { elapsedMs: 60_000, admitted: 0, inHand: 0 })).toBe(0);
  });

  test("the ceiling holds at its boundary whatever the pace", () => {
    const limits = admissionLimits(figures({ queued: 1, finished: 60_000 }), settings);
    expect(refusalReason(limits, { unfinished: 1999, ownerUnfinished: 0, requested: 1 })).toBeNull();
    expect(refusalReason(limits, { unfinished: 1999, ownerUnfinished: 0, requested: 2 })).toBe(
      "max_unfinished",
    );
  });
});
