import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { JobSchema } from "@edge/routes/jobs/schema";
import { forgeAccessToken } from "@scripts/testing/auth-fixtures";
import { jobEventsHub } from "@scripts/testing/job-events-hub";
import {
  eventually,
  insertImage,
  insertJob,
  insertUser,
  postResult,
  succeededResult,
} from "@scripts/testing/job-fixtures";
import { readBody } from "@scripts/testing/responses";
import { useTestWorker } from "@scripts/testing/test-worker";
import { z } from "zod";

// The hub socket an isolate shares among an owner's waits belongs to the request that opened it:
// only that request's context may use it, and it lives on past that request's answer only while
// the others move to a fresh subscription. These tests end the opener first, open waits after it
// answered, have the hub drop the socket mid-wait, and scatter results over many waits: every
// wait answers 200 with its job's state, and workerd never reports I/O or a promise crossing
// request contexts (its output reaches this process through console.log / console.error).

const HEARTBEAT_SECONDS = 2;

const worker = useTestWorker({
  vars: { RATE_LIMIT_READ: "100000/60s", JOB_EVENTS_HEARTBEAT_SECONDS: String(HEARTBEAT_SECONDS) },
});

const workerdLines: string[] = [];
const original = { log: console.log, error: console.error };
beforeAll(() => {
  for (const name of ["log", "error"] as const) {
    console[name] = (...args: unknown[]) => {
      workerdLines.push(args.map(String).join(" "));
      original[name](...args);
    };
  }
});
afterAll(() => {
  console.log = original.log;
  console.error = original.error;
});

/** What workerd said about crossing request contexts since `from` (an index into its lines). */
const crossContextLines = (from: number) =>
  workerdLines.slice(from).filter((line) => /different request|hung and would never/i.test(line));

async function hubOf(ownerId: string) {
  const stub = await jobEventsHub(worker.current, ownerId);
  return {
    subscriptions: async () => z.number().parse(await stub.subscriptions()),
    disconnect: async () => z.number().parse(await stub.disconnect()),
  };
}

async function owner() {
  const id = await insertUser(worker.current);
  return { id, auth: `Bearer ${await forgeAccessToken({ claims: { sub: id } })}` };
}

async function queuedJob(ownerId: string) {
  const image = await insertImage(worker.current, ownerId, { storeObject: false });
  return insertJob(worker.current, ownerId, image.id);
}

/** A wait's answer: its status, and the job's status when it is 200. */
async function wait(auth: string, jobId: string, seconds: number) {
  const response = await worker.current.fetch(`/v1/jobs/${jobId}?wait=${seconds}`, {
    headers: { Authorization: auth },
  });
  if (response.status !== 200) return { status: response.status, job: await response.text() };
  return { status: 200, job: (await readBody(response, JobSchema)).status };
}

const finish = async (jobId: string) =>
  expect((await postResult(worker.current, jobId, succeededResult(jobId))).status).toBe(200);

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("a shared hub socket outlives no request's context", () => {
  test("the opening wait answers first; later results still wake the waits that joined it", async () => {
    const from = workerdLines.length;
    const { id, auth } = await owner();
    const jobs = await Promise.all(Array.from({ length: 6 }, () => queuedJob(id)));
    const opener = wait(auth, jobs[0] as string, 30);
    await eventually(
      async () => ((await (await hubOf(id)).subscriptions()) === 1 ? true : undefined),
      5000,
      "hub socket",
    );
    const joined = jobs.slice(1).map((jobId) => wait(auth, jobId, 30));
    await pause(500);
    await finish(jobs[0] as string);
    expect(await opener).toEqual({ status: 200, job: "succeeded" });
    // Past a heartbeat the joined waits have moved off the opener's socket.
    await pause(HEARTBEAT_SECONDS * 1000 + 1000);
    for (const jobId of jobs.slice(1)) {
      await finish(jobId);
      await pause(300);
    }
    expect(await Promise.all(joined)).toEqual(jobs.slice(1).map(() => ({ status: 200, job: "succeeded" })));
    expect(crossContextLines(from)).toEqual([]);
    await eventually(
      async () => ((await (await hubOf(id)).subscriptions()) === 0 ? true : undefined),
      10_000,
      "sockets closed",
    );
  }, 60_000);

  test("waits opened after the opener answered are woken by their results", async () => {
    const from = workerdLines.length;
    const { id, auth } = await owner();
    const [first, second, third] = await Promise.all([queuedJob(id), queuedJob(id), queuedJob(id)]);
    const early = wait(auth, second as string, 30);
    const opener = wait(auth, first as string, 30);
    await pause(500);
    await finish(first as string);
    expect(await opener).toEqual({ status: 200, job: "succeeded" });
    const late = wait(auth, third as string, 30);
    await pause(HEARTBEAT_SECONDS * 1000 + 500);
    await finish(third as string);
    expect(await late).toEqual({ status: 200, job: "succeeded" });
    await finish(second as string);
    expect(await early).toEqual({ status: 200, job: "succeeded" });
    expect(crossContextLines(from)).toEqual([]);
  }, 60_000);

  test("the opening wait's client goes away; the waits that joined it are still woken", async () => {
    const from = workerdLines.length;
    const { id, auth } = await owner();
    const jobs = await Promise.all(Array.from({ length: 4 }, () => queuedJob(id)));
    const abort = new AbortController();
    const opener = fetch(`${worker.current.origin}/v1/jobs/${jobs[0]}?wait=30`, {
      headers: { Authorization: auth },
      signal: abort.signal,
    }).catch(() => null);
    await eventually(
      async () => ((await (await hubOf(id)).subscriptions()) === 1 ? true : undefined),
      5000,
      "hub socket",
    );
    const joined = jobs.slice(1).map((jobId) => wait(auth, jobId, 30));
    await pause(500);
    abort.abort();
    await opener;
    await pause(HEARTBEAT_SECONDS * 3000);
    for (const jobId of jobs.slice(1)) await finish(jobId);
    expect(await Promise.all(joined)).toEqual(jobs.slice(1).map(() => ({ status: 200, job: "succeeded" })));
    expect(crossContextLines(from)).toEqual([]);
  }, 60_000);

  test("the hub closing the socket mid-wait: the waits resubscribe and are still woken", async () => {
    const from = workerdLines.length;
    const { id, auth } = await owner();
    const jobs = await Promise.all(Array.from({ length: 5 }, () => queuedJob(id)));
    const hub = await hubOf(id);
    const waits = jobs.map((jobId) => wait(auth, jobId, 30));
    await eventually(async () => ((await hub.subscriptions()) === 1 ? true : undefined), 5000, "hub socket");
    await pause(500);
    expect(await hub.disconnect()).toBe(1);
    await eventually(
      async () => ((await hub.subscriptions()) === 1 ? true : undefined),
      10_000,
      "resubscribed",
    );
    for (const jobId of jobs) await finish(jobId);
    expect(await Promise.all(waits)).toEqual(jobs.map(() => ({ status: 200, job: "succeeded" })));
    expect(crossContextLines(from)).toEqual([]);
  }, 60_000);

  test("200 waits over four owners, results at random times: all 200, none lost", async () => {
    const from = workerdLines.length;
    const owners = await Promise.all(Array.from({ length: 4 }, () => owner()));
    const jobs = await Promise.all(
      Array.from({ length: 40 }, async (_, i) => {
        const who = owners[i % owners.length] as Awaited<ReturnType<typeof owner>>;
        return { who, jobId: await queuedJob(who.id) };
      }),
    );
    const waits = Array.from({ length: 200 }, (_, i) => {
      const { who, jobId } = jobs[i % jobs.length] as (typeof jobs)[number];
      return pause(Math.random() * 3000).then(() => wait(who.auth, jobId, 40));
    });
    await Promise.all(jobs.map(({ jobId }) => pause(500 + Math.random() * 8000).then(() => finish(jobId))));
    const answers = await Promise.all(waits);
    expect(answers.filter((answer) => answer.status !== 200 || answer.job !== "succeeded")).toEqual([]);
    expect(crossContextLines(from)).toEqual([]);
  }, 90_000);
});
