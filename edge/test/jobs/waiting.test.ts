import { describe, expect, test } from "bun:test";
import { jobs } from "@db/schema";
import { JobSchema, JobStatusSchema } from "@edge/routes/jobs/schema";
import { createApiKey, signedInUser } from "@scripts/testing/auth-fixtures";
import {
  eventually,
  insertImage,
  insertJob,
  postResult,
  succeededResult,
} from "@scripts/testing/job-fixtures";
import { expectError, parseBody, readBody } from "@scripts/testing/responses";
import { sharedServices } from "@scripts/testing/shared-services";
import { useTestWorker } from "@scripts/testing/test-worker";
import { eq, sql } from "drizzle-orm";
import { z } from "zod";

// Long-polls and event streams wait on the owner's JobEvents hub and are woken by the result
// callback. Jobs are arranged straight in the database (no queue, no inference), so the only
// thing that can finish them is the callback each test posts itself.

const WAIT_MAX_SECONDS = 30;

const worker = useTestWorker({
  vars: {
    RATE_LIMIT_READ: "10000/60s",
    RATE_LIMIT_WRITE: "10000/60s",
    JOB_WAIT_MAX_SECONDS: String(WAIT_MAX_SECONDS),
  },
});

/** The part of a job event (edge/src/jobs/events.ts, documented only as text) these tests rely on. */
const JobEventSchema = z.looseObject({
  type: z.templateLiteral(["job.", JobStatusSchema]),
  job: z.looseObject({ id: z.uuid(), status: JobStatusSchema, detectionCount: z.number().int() }),
});
type JobEvent = z.infer<typeof JobEventSchema>;

/** A signed-in user with `count` queued jobs, each on its own image. */
async function userWithJobs(count: number) {
  const session = await signedInUser(worker.current);
  const jobIds: string[] = [];
  for (let i = 0; i < count; i++) {
    const image = await insertImage(worker.current, session.user.id, { storeObject: false });
    jobIds.push(await insertJob(worker.current, session.user.id, image.id));
  }
  return { ...session, jobIds };
}

/** Statements the Worker has sent to the run's SQL-over-HTTP endpoint so far. */
async function sqlRequests(): Promise<number> {
  return (await sharedServices()).sqlEndpoint.stats().requests;
}

/** Starts a long-poll; resolves with the answer and the moment it arrived. */
function startWait(auth: string, jobId: string, seconds: number) {
  const startedAt = Date.now();
  let answered = false;
  const answer = worker.current
    .fetch(`/v1/jobs/${jobId}?wait=${seconds}`, { headers: { Authorization: auth } })
    .then(async (response) => {
      const body = await readBody(response, JobSchema);
      answered = true;
      return { status: response.status, body, at: Date.now() };
    });
  return {
    startedAt,
    answer,
    get answered() {
      return answered;
    },
  };
}

/** Reads `event:`/`data:` blocks of a `text/event-stream` body, skipping comments. */
function eventStream(response: Response) {
  const body = response.body;
  if (!body) throw new Error("event stream without a body");
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffered = "";
  const blocks: Array<{ event: string | undefined; data: JobEvent }> = [];

  /** The next event, or null when the stream has ended. */
  async function next(timeoutMs = 10_000): Promise<{ event: string | undefined; data: JobEvent } | null> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const end = buffered.indexOf("\n\n");
      if (end !== -1) {
        const lines = buffered.slice(0, end).split("\n");
        buffered = buffered.slice(end + 2);
        const data = lines.find((line) => line.startsWith("data: "));
        if (!data) continue; // a comment (`: subscribed`, `: keep-alive`)
        const block = {
          event: lines.find((line) => line.startsWith("event: "))?.slice("event: ".length),
          data: parseBody(data.slice("data: ".length), JobEventSchema, "job event"),
        };
        blocks.push(block);
        return block;
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no event within ${timeoutMs} ms`);
      let timer: ReturnType<typeof setTimeout> | undefined;
      const read = await Promise.race([
        reader.read(),
        new Promise<"timeout">((resolve) => {
          timer = setTimeout(() => resolve("timeout"), left);
        }),
      ]);
      clearTimeout(timer);
      if (read === "timeout") throw new Error(`no event within ${timeoutMs} ms`);
      if (read.done) return null;
      buffered += decoder.decode(read.value, { stream: true });
    }
  }

  return { next, blocks, cancel: () => reader.cancel().catch(() => {}) };
}

const openEvents = (auth: string, path: string) =>
  worker.current.fetch(path, { headers: { Authorization: auth, Accept: "text/event-stream" } });

describe("GET /v1/jobs/{id}?wait", () => {
  test("a waiter is woken by the result callback, without polling the database meanwhile", async () => {
    const { auth, jobIds } = await userWithJobs(1);
    const jobId = jobIds[0] as string;
    const before = await sqlRequests();
    const wait = startWait(auth, jobId, 20);
    // Authenticating and the first read of the job: two statements, then the wait subscribes.
    await eventually(
      async () => ((await sqlRequests()) - before >= 2 ? true : undefined),
      5000,
      "the wait's first read",
    );
    await Bun.sleep(300);
    const quietFrom = await sqlRequests();
    await Bun.sleep(1500);
    expect((await sqlRequests()) - quietFrom).toBe(0);
    expect(wait.answered).toBe(false);

    const postedAt = Date.now();
    const posted = await postResult(worker.current, jobId, succeededResult(jobId));
    expect(posted.status).toBe(200);
    expect(await posted.json()).toEqual({ outcome: "applied" });
    const { status, body, at } = await wait.answer;
    expect(status).toBe(200);
    expect(body.status).toBe("succeeded");
    expect(at - postedAt).toBeLessThan(2000);
    expect(body.detections?.map((d) => [d.classId, d.label, d.box])).toEqual(
      succeededResult(jobId).detections.map((d) => [d.classId, d.label, d.box]),
    );
  });

  test("a wait on a job that has already finished answers at once", async () => {
    const { auth, jobIds } = await userWithJobs(1);
    const jobId = jobIds[0] as string;
    expect((await postResult(worker.current, jobId, succeededResult(jobId))).status).toBe(200);
    const wait = startWait(auth, jobId, 20);
    const { status, body, at } = await wait.answer;
    expect(status).toBe(200);
    expect(body.status).toBe("succeeded");
    expect(body.detections).toHaveLength(2);
    expect(at - wait.startedAt).toBeLessThan(2000);
  });

  test("wait beyond JOB_WAIT_MAX_SECONDS → 400 validation_failed; the maximum itself is accepted", async () => {
    const { auth, jobIds } = await userWithJobs(1);
    const jobId = jobIds[0] as string;
    const over = await worker.current.fetch(`/v1/jobs/${jobId}?wait=${WAIT_MAX_SECONDS + 1}`, {
      headers: { Authorization: auth },
    });
    await expectError(over, 400, "validation_failed");
    // The maximum is a valid wait: finished jobs answer it at once.
    expect((await postResult(worker.current, jobId, succeededResult(jobId))).status).toBe(200);
    const atMax = await worker.current.fetch(`/v1/jobs/${jobId}?wait=${WAIT_MAX_SECONDS}`, {
      headers: { Authorization: auth },
    });
    expect(atMax.status).toBe(200);
  });

  test("someone else's job → 404 at once, for the wait and the job's event stream", async () => {
    const owner = await userWithJobs(1);
    const other = await signedInUser(worker.current);
    const jobId = owner.jobIds[0] as string;
    const startedAt = Date.now();
    const waited = await worker.current.fetch(`/v1/jobs/${jobId}?wait=10`, {
      headers: { Authorization: other.auth },
    });
    await expectError(waited, 404, "not_found");
    expect(Date.now() - startedAt).toBeLessThan(5000);
    const stream = await openEvents(other.auth, `/v1/jobs/${jobId}/events`);
    await expectError(stream, 404, "not_found");
    const missing = await openEvents(owner.auth, `/v1/jobs/${crypto.randomUUID()}/events`);
    expect(missing.status).toBe(404);
    await missing.body?.cancel();
  });

  test("a wait that times out answers with the unfinished state after about N seconds", async () => {
    const { auth, jobIds } = await userWithJobs(1);
    const wait = startWait(auth, jobIds[0] as string, 2);
    const { status, body, at } = await wait.answer;
    expect(status).toBe(200);
    expect(body.status).toBe("queued");
    expect(body.detections).toBeUndefined();
    expect(at - wait.startedAt).toBeGreaterThanOrEqual(1900);
    expect(at - wait.startedAt).toBeLessThan(4000);
  });

  test("a wait that times out answers with the job's state at the end of the wait, not its start", async () => {
    // The claim marks the job running (its `job.running` event does not end a wait);
    // here the change is made without any event, as when a publish is lost: the answer after
    // N seconds must still be the database's state then (see publishJobEvents).
    const { auth, jobIds } = await userWithJobs(1);
    const jobId = jobIds[0] as string;
    const before = await sqlRequests();
    const wait = startWait(auth, jobId, 3);
    await eventually(
      async () => ((await sqlRequests()) - before >= 2 ? true : undefined),
      5000,
      "the wait's first read",
    );
    await worker.current.db
      .update(jobs)
      .set({ status: "running", attempts: 1, startedAt: sql`now()` })
      .where(eq(jobs.id, jobId));
    const { status, body, at } = await wait.answer;
    expect(status).toBe(200);
    expect(at - wait.startedAt).toBeGreaterThanOrEqual(2900);
    expect(body.status).toBe("running");
  });

  test("200 concurrent waits over five jobs are all woken by their callbacks, within the pool", async () => {
    const { auth, jobIds } = await userWithJobs(5);
    const { sqlEndpoint } = await sharedServices();
    // Locally workerd admits about 256 requests holding a hub stream at once (the rest queue
    // before authenticating), so this stays below that; production spreads them over isolates.
    const WAITS = 200;
    const before = sqlEndpoint.stats().requests;
    const waits = Array.from({ length: WAITS }, (_, i) => {
      const jobId = jobIds[i % jobIds.length] as string;
      return { jobId, wait: startWait(auth, jobId, 25) };
    });
    // Every wait has read its job (the caller is cached for reads), so each is subscribed.
    await eventually(
      async () => (sqlEndpoint.stats().requests - before >= WAITS ? true : undefined),
      15_000,
      "every wait's first read",
    );
    expect(waits.filter(({ wait }) => wait.answered)).toHaveLength(0);

    const postedAt = new Map<string, number>();
    for (const jobId of jobIds) {
      postedAt.set(jobId, Date.now());
      const posted = await postResult(worker.current, jobId, succeededResult(jobId));
      expect(await posted.json()).toEqual({ outcome: "applied" });
    }
    const answers = await Promise.all(
      waits.map(async ({ jobId, wait }) => ({ jobId, ...(await wait.answer) })),
    );
    expect(answers.filter((a) => a.status !== 200 || a.body.status !== "succeeded")).toEqual([]);
    for (const answer of answers) {
      // Woken by its own job's callback: not before it was posted, and long before the 25 s timeout.
      expect(answer.body.id).toBe(answer.jobId);
      expect(answer.at).toBeGreaterThanOrEqual(postedAt.get(answer.jobId) ?? 0);
      expect(answer.body.detections).toHaveLength(2);
    }
    const lastPosted = Math.max(...postedAt.values());
    expect(Math.max(...answers.map((a) => a.at)) - lastPosted).toBeLessThan(10_000);
    expect(sqlEndpoint.stats().peakOpen).toBeLessThanOrEqual(10);
  }, 30_000);
});

describe("job event streams", () => {
  test("/v1/jobs/{id}/events starts with the current state, then delivers the result", async () => {
    const { auth, jobIds } = await userWithJobs(1);
    const jobId = jobIds[0] as string;
    const response = await openEvents(auth, `/v1/jobs/${jobId}/events`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("text/event-stream");
    const stream = eventStream(response);
    try {
      const snapshot = await stream.next();
      expect(snapshot?.event).toBe("job.queued");
      expect(snapshot?.data).toMatchObject({ type: "job.queued", job: { id: jobId, status: "queued" } });

      expect((await postResult(worker.current, jobId, succeededResult(jobId))).status).toBe(200);
      const finished = await stream.next();
      expect(finished?.event).toBe("job.succeeded");
      expect(finished?.data).toMatchObject({
        type: "job.succeeded",
        job: { id: jobId, status: "succeeded", detectionCount: 2 },
      });
    } finally {
      await stream.cancel();
    }
  });

  test("/v1/jobs/{id}/events of a finished job holds only its state and ends", async () => {
    const { auth, jobIds } = await userWithJobs(1);
    const jobId = jobIds[0] as string;
    expect((await postResult(worker.current, jobId, succeededResult(jobId))).status).toBe(200);
    const response = await openEvents(auth, `/v1/jobs/${jobId}/events`);
    expect(response.status).toBe(200);
    const stream = eventStream(response);
    const only = await stream.next();
    expect(only?.event).toBe("job.succeeded");
    expect(only?.data.job).toMatchObject({ id: jobId, status: "succeeded", detectionCount: 2 });
    expect(await stream.next()).toBeNull();
  });

  test("/v1/jobs/events delivers the caller's jobs' changes and none of another user's", async () => {
    const mine = await userWithJobs(2);
    const theirs = await userWithJobs(2);
    const response = await openEvents(mine.auth, "/v1/jobs/events");
    expect(response.status).toBe(200);
    const stream = eventStream(response);
    try {
      const [mineA, mineB] = mine.jobIds as [string, string];
      const [theirsA, theirsB] = theirs.jobIds as [string, string];
      for (const jobId of [theirsA, mineA, theirsB, mineB]) {
        expect((await postResult(worker.current, jobId, succeededResult(jobId))).status).toBe(200);
      }
      const seen = [await stream.next(), await stream.next()];
      expect(seen.map((block) => [block?.event, block?.data.job.id])).toEqual([
        ["job.succeeded", mineA],
        ["job.succeeded", mineB],
      ]);
      // Everything published before mineB's event has been read by now: nothing of theirs.
      expect(stream.blocks.filter((block) => theirs.jobIds.includes(block.data.job.id))).toEqual([]);
    } finally {
      await stream.cancel();
    }
  });

  test("a key without jobs:read gets 403 on the waits and both event streams", async () => {
    const { auth, jobIds } = await userWithJobs(1);
    const jobId = jobIds[0] as string;
    const { key } = await createApiKey(worker.current, auth, ["images:read", "jobs:write"]);
    for (const path of [`/v1/jobs/${jobId}?wait=5`, "/v1/jobs/events", `/v1/jobs/${jobId}/events`]) {
      const response = await openEvents(`Bearer ${key}`, path);
      await expectError(response, 403, "insufficient_scope");
    }
    const { key: reader } = await createApiKey(worker.current, auth, ["jobs:read"]);
    const allowed = await openEvents(`Bearer ${reader}`, "/v1/jobs/events");
    expect(allowed.status).toBe(200);
    await allowed.body?.cancel();
  });
});
