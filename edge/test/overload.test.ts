import { describe, expect, test } from "bun:test";
import { ResultAnswerSchema } from "@common/contracts/detect-result";
import { jobs } from "@db/schema";
import { BacklogFullDetailsSchema } from "@edge/jobs/admission";
import { ErrorBodySchema } from "@edge/openapi";
import { JobSchema, QueuedJobsSchema } from "@edge/routes/jobs/schema";
import { MeSchema } from "@edge/routes/me";
import { freePort } from "@scripts/local-stack/ports";
import { startSqlOverHttp } from "@scripts/local-stack/sql-over-http";
import { signedInUser } from "@scripts/testing/auth-fixtures";
import { occupyConnection } from "@scripts/testing/busy-database";
import {
  insertImage,
  insertJob,
  postResult,
  serviceAuth,
  succeededResult,
} from "@scripts/testing/job-fixtures";
import { expectError, parseBody, readBody, readError } from "@scripts/testing/responses";
import { sharedServices } from "@scripts/testing/shared-services";
import { startTestWorker, type TestWorker, useTestWorker } from "@scripts/testing/test-worker";
import { eq } from "drizzle-orm";
import { DATABASE_RETRY_AFTER_SECONDS } from "../src/db-errors";

// What clients see when the database cannot take their request (down, or its pool full) and
// when too many jobs are waiting: a 503 with Retry-After and nothing half-done, never a 500.

const BACKLOG_RETRY_AFTER = 7;

const worker = useTestWorker({
  vars: {
    MAX_UNFINISHED_JOBS: "2",
    BACKLOG_RETRY_AFTER_SECONDS: String(BACKLOG_RETRY_AFTER),
    // The count ceiling alone: one owner may fill it (shares: test/jobs/admission.test.ts).
    ADMISSION_OWNER_SHARE: "1",
    // Every creation counts afresh: a job that finished a moment ago makes room at once, where a
    // cached measurement would still refuse it for up to ADMISSION_CACHE_SECONDS. A budget a
    // single completion's pace (one job in 5 s) cannot bind within the ceiling.
    ADMISSION_CACHE_SECONDS: "0",
    ADMISSION_MAX_WAIT_SECONDS: "60",
    RATE_LIMIT_READ: "1000/60s",
    RATE_LIMIT_WRITE: "1000/60s",
  },
});

const get = (target: TestWorker, path: string, auth: string) =>
  target.fetch(path, { headers: { Authorization: auth } });

async function expectDatabaseUnavailable(response: Response, what: string) {
  const body = await response.text();
  expect(`${what}: ${response.status}`).toBe(`${what}: 503`);
  expect(parseBody(body, ErrorBodySchema, what).error.code).toBe("database_unavailable");
  expect(response.headers.get("retry-after")).toBe(String(DATABASE_RETRY_AFTER_SECONDS));
}

describe("database outage", () => {
  test("a stopped database → 503 database_unavailable with Retry-After on every path; back after restart", async () => {
    const { user, auth } = await signedInUser(worker.current);
    const image = await insertImage(worker.current, user.id, { storeObject: false });
    const jobId = await insertJob(worker.current, user.id, image.id);
    const { pg } = await sharedServices();
    const requests: Array<[string, () => Promise<Response>]> = [
      ["GET /v1/me", () => get(worker.current, "/v1/me", auth)],
      ["GET /v1/jobs", () => get(worker.current, "/v1/jobs", auth)],
      ["GET /v1/jobs/{id}?wait=5", () => get(worker.current, `/v1/jobs/${jobId}?wait=5`, auth)],
      [
        "POST /v1/jobs",
        () =>
          worker.current.fetch("/v1/jobs", {
            method: "POST",
            headers: { Authorization: auth, "Content-Type": "application/json" },
            body: JSON.stringify({ imageId: image.id }),
          }),
      ],
      [
        "POST result callback",
        async () =>
          worker.current.fetch(`/internal/v1/jobs/${jobId}/result`, {
            method: "POST",
            headers: await serviceAuth(),
            body: JSON.stringify(succeededResult(jobId)),
          }),
      ],
    ];
    await pg.stop();
    try {
      for (const [what, send] of requests) await expectDatabaseUnavailable(await send(), what);
    } finally {
      await pg.start();
    }
    // The outage left nothing behind, and the same requests work again.
    const me = await get(worker.current, "/v1/me", auth);
    expect(me.status).toBe(200);
    expect((await readBody(me, MeSchema)).user.id).toBe(user.id);
    const rows = await worker.current.db.select().from(jobs).where(eq(jobs.ownerId, user.id));
    expect(rows.map((row) => [row.id, row.status])).toEqual([[jobId, "queued"]]);
    const applied = await postResult(worker.current, jobId, succeededResult(jobId));
    expect(await readBody(applied, ResultAnswerSchema.strict())).toEqual({ outcome: "applied" });
    const job = await get(worker.current, `/v1/jobs/${jobId}?wait=5`, auth);
    expect((await readBody(job, JobSchema)).status).toBe("succeeded");
  }, 30_000);

  test("a saturated pool → 503 database_unavailable with Retry-After, and service resumes once it frees", async () => {
    const { pg } = await sharedServices();
    const endpoint = startSqlOverHttp({
      port: await freePort(),
      target: { host: "127.0.0.1", port: pg.port },
      poolSize: 1,
      acquireTimeoutMs: 200,
    });
    let tight: TestWorker | undefined;
    try {
      // Callers looked up afresh on every request, so `/v1/me` needs the database too.
      tight = await startTestWorker({ sqlEndpoint: endpoint.url, vars: { AUTH_CACHE_SECONDS: "0" } });
      const target = tight;
      const { auth } = await signedInUser(target);
      expect((await get(target, "/v1/me", auth)).status).toBe(200);

      // Occupy the only connection with a slow statement, as neon() would send it.
      const { done: occupying } = await occupyConnection(endpoint, target.databaseUrl, 2);
      const startedAt = Date.now();
      await expectDatabaseUnavailable(await get(target, "/v1/me", auth), "GET /v1/me");
      await expectDatabaseUnavailable(await get(target, "/v1/jobs", auth), "GET /v1/jobs");
      // Refused after the endpoint's acquire timeout, not after waiting out the slow statement.
      expect(Date.now() - startedAt).toBeLessThan(1500);
      expect(endpoint.stats().busy).toBe(1);

      expect((await occupying).status).toBe(200);
      expect((await get(target, "/v1/me", auth)).status).toBe(200);
      expect(endpoint.stats().peakOpen).toBe(1);
    } finally {
      await tight?.dispose();
      await endpoint.stop();
    }
  }, 60_000);
});

describe("admission control: MAX_UNFINISHED_JOBS", () => {
  test("past the backlog limit creation is refused with 503 backlog_full and nothing is created", async () => {
    const first = await signedInUser(worker.current);
    const second = await signedInUser(worker.current);
    const create = async (auth: string, ownerId: string, count = 1) => {
      const imageIds: string[] = [];
      for (let i = 0; i < count; i++) {
        imageIds.push((await insertImage(worker.current, ownerId, { storeObject: false })).id);
      }
      return worker.current.fetch("/v1/jobs", {
        method: "POST",
        headers: { Authorization: auth, "Content-Type": "application/json" },
        body: JSON.stringify(count === 1 ? { imageId: imageIds[0] } : { imageIds }),
      });
    };
    const jobCount = async () => (await worker.current.db.select({ id: jobs.id }).from(jobs)).length;
    // Other tests of this file leave no unfinished jobs behind; start from a clean slate anyway.
    await worker.current.db.delete(jobs);

    const accepted: string[] = [];
    for (let i = 0; i < 2; i++) {
      const response = await create(first.auth, first.user.id);
      expect(response.status).toBe(202);
      accepted.push(...(await readBody(response, QueuedJobsSchema)).jobs.map((j) => j.id));
    }

    // The backlog is counted across all users: the second user is refused too.
    for (const [who, auth, ownerId] of [
      ["first", first.auth, first.user.id],
      ["second", second.auth, second.user.id],
    ] as const) {
      const refused = await create(auth, ownerId);
      expect(`${who}: ${refused.status}`).toBe(`${who}: 503`);
      expect(refused.headers.get("retry-after")).toBe(String(BACKLOG_RETRY_AFTER));
      const error = await readError(refused);
      expect(error.code).toBe("backlog_full");
      // Nothing has finished yet: no pace to judge a wait by, the ceiling decides.
      expect(BacklogFullDetailsSchema.parse(error.details)).toEqual({
        reason: "max_unfinished",
        basis: "count",
        unfinished: 2,
        limit: 2,
        expectedWaitSeconds: null,
        maxWaitSeconds: 60,
      });
    }
    expect(await jobCount()).toBe(2);

    // One finishes: room for one more, but not for a request of two images.
    const finishing = accepted[0] as string;
    expect((await postResult(worker.current, finishing, succeededResult(finishing))).status).toBe(200);
    const tooMany = await create(second.auth, second.user.id, 2);
    await expectError(tooMany, 503, "backlog_full");
    expect(await jobCount()).toBe(2);
    const again = await create(second.auth, second.user.id);
    expect(again.status).toBe(202);
    expect(await jobCount()).toBe(3);
    // Full again.
    expect((await create(first.auth, first.user.id)).status).toBe(503);
    expect(await jobCount()).toBe(3);
  });
});

describe("admission control under concurrency", () => {
  const LIMIT = 10;
  const CREATIONS = 40;

  test(`${CREATIONS} simultaneous creations against a limit of ${LIMIT}: exactly ${LIMIT} accepted`, async () => {
    const target = await startTestWorker({
      vars: {
        MAX_UNFINISHED_JOBS: String(LIMIT),
        BACKLOG_RETRY_AFTER_SECONDS: String(BACKLOG_RETRY_AFTER),
        RATE_LIMIT_WRITE: "1000/60s",
      },
    });
    try {
      // Several callers, as in a burst: the ceiling is the system's, whoever asks. Each may hold
      // half of it (ADMISSION_OWNER_SHARE), and 4 halves exceed it: the ceiling still binds.
      const callers = await Promise.all(Array.from({ length: 4 }, () => signedInUser(target)));
      const requests = await Promise.all(
        Array.from({ length: CREATIONS }, async (_, i) => {
          const caller = callers[i % callers.length] as (typeof callers)[number];
          const image = await insertImage(target, caller.user.id, { storeObject: false });
          return { auth: caller.auth, body: JSON.stringify({ imageId: image.id }) };
        }),
      );
      // Every count runs before any insert commits unless admission is one atomic step.
      const responses = await Promise.all(
        requests.map(({ auth, body }) =>
          target.fetch("/v1/jobs", {
            method: "POST",
            headers: { Authorization: auth, "Content-Type": "application/json" },
            body,
          }),
        ),
      );
      const outcomes = await Promise.all(
        responses.map(async (response) => ({
          status: response.status,
          code: response.status === 202 ? "accepted" : (await readError(response)).code,
          retryAfter: Number(response.headers.get("retry-after") ?? 0),
        })),
      );
      const accepted = outcomes.filter((o) => o.status === 202);
      const refused = outcomes.filter((o) => o.status !== 202);
      expect(accepted.length).toBe(LIMIT);
      expect(refused.map((o) => [o.status, o.code])).toEqual(
        Array(CREATIONS - LIMIT).fill([503, "backlog_full"]),
      );
      for (const o of refused) expect(o.retryAfter).toBeGreaterThanOrEqual(1);
      expect((await target.db.select({ id: jobs.id }).from(jobs)).length).toBe(LIMIT);
    } finally {
      await target.dispose();
    }
  }, 120_000);
});
