/**
 * Many open waits next to a steady job rate: does holding them slow anything else down?
 *
 * A test Worker in workerd (its own database, real Durable Objects) and the stub inference
 * service (the production pull consumer and processor, a stub model) finish jobs enqueued at R/s
 * across a few owners. `GET /v1/me` is sampled on a fixed schedule, first with only the jobs
 * running (baseline), then while W `GET /v1/jobs/{id}?wait=30` requests (on jobs that stay
 * queued, so every wait runs its full course and is woken by nothing but its timer) and S event
 * streams of the same owners are open. Every job's events reach every stream and are filtered
 * by every wait of its owner, all through one hub socket per owner (the table shows the hubs'
 * socket counts).
 *
 * The waits are opened at OPEN_RATE a second and measured once all are subscribed; they end on
 * their own timer 30 s after opening, so `--seconds` must leave room for the opening.
 *
 *   npm run bench:waits [-- --waits 2000 --streams 200 --owners 4 --rate 10 --seconds 15]
 */
import { parseArgs } from "node:util";
import type { JobEventsRpc } from "@edge/durable-objects";
import { detectMessage, enqueueDetect } from "@edge/jobs/queue-messages";
import { forgeAccessToken } from "@scripts/testing/auth-fixtures";
import {
  DEFAULT_PARAMS,
  detectQueueOf,
  insertImage,
  insertJob,
  insertUser,
  workerConfig,
} from "@scripts/testing/job-fixtures";
import { sharedServices, stopSharedServices } from "@scripts/testing/shared-services";
import { startStubInference } from "@scripts/testing/stub-inference";
import { startTestWorker, type TestWorker } from "@scripts/testing/test-worker";
import { ms, percentile, printTable } from "../stats";

/** Connections Bun's fetch may open at once; its default (256) would queue the waits in the client. */
const CLIENT_MAX_CONNECTIONS = "8192";
const WAIT_SECONDS = 30;
/** `GET /v1/me` requests a second, on a fixed schedule, in each phase. */
const PROBE_RATE = 20;
/** Waits opened a second. */
const OPEN_RATE = 250;

const { values } = parseArgs({
  options: {
    waits: { type: "string", default: "2000" },
    streams: { type: "string", default: "200" },
    owners: { type: "string", default: "4" },
    rate: { type: "string", default: "10" },
    seconds: { type: "string", default: "15" },
  },
});

type Owner = { id: string; auth: string };

/** Latencies of `GET /v1/me` launched at PROBE_RATE for `seconds`, each from its scheduled start. */
async function probeMe(worker: TestWorker, auth: string, seconds: number) {
  const latencies: number[] = [];
  let failures = 0;
  const started = performance.now();
  const requests: Promise<void>[] = [];
  for (let i = 0; i < seconds * PROBE_RATE; i++) {
    const at = started + (i * 1000) / PROBE_RATE;
    await Bun.sleep(Math.max(0, at - performance.now()));
    requests.push(
      fetch(`${worker.origin}/v1/me`, { headers: { Authorization: auth } }).then(
        async (response) => {
          await response.arrayBuffer();
          if (response.ok) latencies.push(performance.now() - at);
          else failures++;
        },
        () => {
          failures++;
        },
      ),
    );
  }
  await Promise.all(requests);
  return { latencies, failures };
}

/** Enqueues one job a 1/rate seconds, round-robin over the owners, until stopped. */
function steadyJobs(worker: TestWorker, owners: Owner[], rate: number) {
  let stopped = false;
  let enqueued = 0;
  const running = (async () => {
    const config = await workerConfig(worker);
    const queue = detectQueueOf(worker);
    const started = performance.now();
    for (let i = 0; !stopped; i++) {
      await Bun.sleep(Math.max(0, started + (i * 1000) / rate - performance.now()));
      const owner = owners[i % owners.length] as Owner;
      const image = await insertImage(worker, owner.id);
      const id = await insertJob(worker, owner.id, image.id);
      const job = { id, model: "weld-defects", params: DEFAULT_PARAMS, traceparent: null };
      const queued = {
        id: image.id,
        objectKey: image.objectKey,
        width: 640,
        height: 480,
        sha256: image.sha256,
      };
      await enqueueDetect(queue, [await detectMessage(config, job, queued)]);
      enqueued++;
    }
  })();
  return {
    async stop() {
      stopped = true;
      await running;
      return enqueued;
    },
  };
}

/** Opens the waits (on jobs that stay queued) and the event streams, spread over the owners. */
async function openWaiters(worker: TestWorker, owners: Owner[], waits: number, streams: number) {
  const parked = await Promise.all(
    owners.map(async (owner) => {
      const image = await insertImage(worker, owner.id, { storeObject: false });
      return insertJob(worker, owner.id, image.id);
    }),
  );
  const answers: Promise<number>[] = [];
  const started = performance.now();
  for (let i = 0; i < waits; i++) {
    // Opened at OPEN_RATE: each authenticates and reads its job, and a burst of thousands of
    // statements would measure the SQL endpoint's queue rather than the waits.
    await Bun.sleep(Math.max(0, started + (i * 1000) / OPEN_RATE - performance.now()));
    const owner = owners[i % owners.length] as Owner;
    const url = `${worker.origin}/v1/jobs/${parked[i % owners.length]}?wait=${WAIT_SECONDS}`;
    answers.push(
      fetch(url, { headers: { Authorization: owner.auth } }).then(
        async (response) => {
          await response.arrayBuffer();
          return response.status;
        },
        () => 0,
      ),
    );
  }
  const controller = new AbortController();
  let streamEvents = 0;
  const streamsOpen = Array.from({ length: streams }, async (_, i) => {
    const owner = owners[i % owners.length] as Owner;
    const response = await fetch(`${worker.origin}/v1/jobs/events`, {
      headers: { Authorization: owner.auth },
      signal: controller.signal,
    });
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    void (async () => {
      for (let read = await reader.read(); !read.done; read = await reader.read()) {
        streamEvents += (decoder.decode(read.value).match(/^event: job\./gm) ?? []).length;
      }
    })().catch(() => {});
    return response.status;
  });
  return {
    answers,
    streamStatuses: Promise.all(streamsOpen),
    get streamEvents() {
      return streamEvents;
    },
    close: () => controller.abort(),
  };
}

async function hubSockets(worker: TestWorker, owners: Owner[]): Promise<number[]> {
  // Miniflare types the namespace without its class; `subscriptions` is the RPC interface's.
  const namespace = (await worker.mf.getDurableObjectNamespace(
    "JOB_EVENTS",
  )) as unknown as DurableObjectNamespace<JobEventsRpc>;
  return Promise.all(owners.map((owner) => namespace.get(namespace.idFromName(owner.id)).subscriptions()));
}

const summary = (name: string, latencies: number[], failures: number) => [
  name,
  latencies.length,
  failures,
  ms(percentile(latencies, 50)),
  ms(percentile(latencies, 90)),
  ms(percentile(latencies, 99)),
];

async function main() {
  const waits = Number(values.waits);
  const streams = Number(values.streams);
  const rate = Number(values.rate);
  const seconds = Number(values.seconds);
  const worker = await startTestWorker({
    vars: {
      LOG_LEVEL: "warn",
      RATE_LIMIT_READ: "100000000/1s",
      RATE_LIMIT_WRITE: "100000000/1s",
      JOBS_PER_DAY: "100000000",
    },
  });
  const inference = await startStubInference(worker);
  try {
    const owners: Owner[] = [];
    for (let i = 0; i < Number(values.owners); i++) {
      const id = await insertUser(worker);
      owners.push({ id, auth: `Bearer ${await forgeAccessToken({ claims: { sub: id } })}` });
    }
    const prober = owners[0] as Owner;
    await probeMe(worker, prober.auth, 2);

    console.log(`baseline: jobs at ${rate}/s, GET /v1/me at ${PROBE_RATE}/s for ${seconds} s`);
    let jobs = steadyJobs(worker, owners, rate);
    const baseline = await probeMe(worker, prober.auth, seconds);
    const baselineJobs = await jobs.stop();

    console.log(`opening ${waits} waits and ${streams} event streams over ${owners.length} owners`);
    const { sqlEndpoint } = await sharedServices();
    const before = sqlEndpoint.stats().requests;
    const openedAt = performance.now();
    const waiters = await openWaiters(worker, owners, waits, streams);
    // Each wait authenticates and reads its job (two statements) once subscribed.
    while (sqlEndpoint.stats().requests - before < 2 * waits && performance.now() - openedAt < 25_000) {
      await Bun.sleep(100);
    }
    const openMs = performance.now() - openedAt;
    const streamStatuses = await waiters.streamStatuses;
    const sockets = await hubSockets(worker, owners);
    console.log(`open after ${(openMs / 1000).toFixed(1)} s; measuring`);
    jobs = steadyJobs(worker, owners, rate);
    const during = await probeMe(worker, prober.auth, seconds);
    const duringJobs = await jobs.stop();
    const statuses = await Promise.all(waiters.answers);
    const streamEvents = waiters.streamEvents;
    waiters.close();

    console.log();
    printTable(
      ["phase", "GET /v1/me", "failed", "median ms", "p90 ms", "p99 ms"],
      [
        summary("jobs only", baseline.latencies, baseline.failures),
        summary(`jobs + ${waits} waits + ${streams} streams`, during.latencies, during.failures),
      ],
    );
    const ratio = (p: number) =>
      (percentile(during.latencies, p) / percentile(baseline.latencies, p)).toFixed(2);
    console.log(`\nratio during / without: median ${ratio(50)}, p90 ${ratio(90)}, p99 ${ratio(99)}`);
    console.log(
      `jobs enqueued: ${baselineJobs} then ${duringJobs}; finished by inference: ${inference.callbacks.length}`,
    );
    console.log(
      `waits answered 200: ${statuses.filter((s) => s === 200).length} of ${waits}; streams open: ${streamStatuses.filter((s) => s === 200).length} of ${streams}, job events they received: ${streamEvents}`,
    );
    console.log(`hub sockets per owner while open: ${sockets.join(", ")} (one per isolate and owner)`);
  } finally {
    await inference.stop();
    await worker.dispose();
    await stopSharedServices();
  }
}

// Last, so every declaration above is initialised before it runs.
if (process.env.BUN_CONFIG_MAX_HTTP_REQUESTS === undefined) {
  // Bun reads its client connection limit at start-up only: run again with it raised.
  const child = Bun.spawn([process.execPath, ...process.argv.slice(1)], {
    env: { ...process.env, BUN_CONFIG_MAX_HTTP_REQUESTS: CLIENT_MAX_CONNECTIONS },
    stdio: ["inherit", "inherit", "inherit"],
  });
  process.exit(await child.exited);
} else await main();
