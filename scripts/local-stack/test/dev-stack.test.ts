/**
 * `npm run dev` as a newcomer runs it: the whole stack starts (the trainer service too when Python
 * has torch, or it says why not), a crashed inference service comes back within the restart bound
 * while the rest keeps serving, and Ctrl-C (SIGINT to the whole process group, PostgreSQL
 * included) with requests in flight ends `bun scripts/dev.ts` itself within the stop bound,
 * leaving no process (the trainer and its train.py included) and no port behind. Killing wrangler or its workerd is
 * covered with stand-in processes in supervise.test.ts.
 */
import { afterAll, expect, test } from "bun:test";
import { type ChildProcess, execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { chmod, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { JobSchema } from "@edge/routes/jobs/schema";
import { encodePng } from "@generator/png";
import { deriveSeed } from "@generator/prng";
import { renderSample } from "@generator/sample";
import { type EdgeUnderTest, edgeAt, signedInUser } from "@scripts/testing/auth-fixtures";
import { uploadAndDetect } from "@scripts/testing/job-fixtures";
import {
  importArchive,
  renderFilms,
  startTraining,
  trainingOutcome,
  yoloArchive,
} from "@scripts/testing/lifecycle-fixtures";
import { readBody } from "@scripts/testing/responses";
import { devPorts, spawnDev } from "../dev-process";
import { isPortFree } from "../ports";
import { cronPeriodSeconds, repoRoot, wranglerCrons } from "../settings";

const STACK_TIMEOUT_MS = 240_000;
/** docs/operations.md, Local stack: a killed service serves again within this. */
const RESTART_BOUND_MS = 15_000;
/** Ctrl-C: SIGTERM, SIGKILL after the 10 s grace period, and a moment to exit. */
const STOP_BOUND_MS = 12_000;
/** One epoch on two films, validation on two, and the upload, with the trainer's one thread. */
const TRAINING_BOUND_MS = 90_000;

const root = await mkdtemp(join(tmpdir(), "defects-dev-"));
await chmod(root, 0o755);
const ports = await devPorts();
const dataDir = join(root, "data");
let stack: ChildProcess | undefined;
let output = "";

afterAll(async () => {
  if (stack?.exitCode === null && stack.pid) process.kill(-stack.pid, "SIGKILL");
  await rm(root, { recursive: true, force: true });
});

test("the stack fires wrangler.toml's cron on its period; periods it cannot tell need the override", async () => {
  const crons = wranglerCrons(await Bun.file(join(repoRoot, "wrangler.toml")).text());
  expect(crons).toEqual(["*/5 * * * *"]);
  expect(crons.map(cronPeriodSeconds)).toEqual([300]);
  expect(wranglerCrons('name = "w"\n')).toEqual([]);
  const periods = {
    "* * * * *": 60,
    "*/1 * * * *": 60,
    "*/15 * * * *": 900,
    "7 * * * *": 3600,
    "0 */6 * * *": 21_600,
    "30 2 * * *": 86_400,
  };
  for (const [cron, seconds] of Object.entries(periods))
    expect(`${cron}: ${cronPeriodSeconds(cron)}`).toBe(`${cron}: ${seconds}`);
  for (const cron of ["*/7 * * * *", "0 0 * * 1", "0,30 * * * *", "*/5 * * *", "@daily", "61 * * * *"]) {
    expect(() => cronPeriodSeconds(cron)).toThrow(/DEV_CRON_INTERVAL_SECONDS/);
  }
});

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    await Bun.sleep(250);
  }
  throw new Error(`${what} not within ${timeoutMs / 1000} s; stack output:\n${output.slice(-4000)}`);
}

const answers = (url: string) => async () => {
  const response = await fetch(url);
  await response.body?.cancel();
  return response.status;
};

/** A one-epoch fine-tune of the shipped model on four imported films, pulled by the stack's trainer. */
async function trainOnce(api: EdgeUnderTest, auth: string) {
  const archive = yoloArchive(await renderFilms(4, "dev-stack-training"));
  const dataset = await importArchive(api, auth, archive, "name=dev-films&seed=dev-1&valFraction=0.5");
  const queued = await startTraining(api, auth, {
    datasetId: dataset.id,
    baseModel: "weld-defects",
    name: "dev-welds",
    epochs: 1,
  });
  return trainingOutcome(api, auth, queued.id, TRAINING_BOUND_MS, () => output.slice(-4000));
}

/** The pid listening on `port`, from the kernel's socket table. */
function listenerPid(port: number): number | undefined {
  const table = execFileSync("ss", ["-Hltnp", `sport = :${port}`], { encoding: "utf8" });
  const pid = /pid=(\d+)/.exec(table)?.[1];
  return pid === undefined ? undefined : Number(pid);
}

/** Pids of processes started by this stack: they inherit its DEV_DATA_DIR. */
function stackProcesses(dataDir: string): number[] {
  const marker = `DEV_DATA_DIR=${dataDir}\0`;
  return readdirSync("/proc")
    .filter((entry) => /^\d+$/.test(entry) && Number(entry) !== process.pid)
    .filter((pid) => {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
        if (stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z")) return false;
        return readFileSync(`/proc/${pid}/environ`, "latin1").includes(marker);
      } catch {
        return false;
      }
    })
    .map(Number);
}

test(
  "npm run dev: starts, restarts a crashed inference service, and Ctrl-C leaves nothing behind",
  async () => {
    // The trainer service's torch threads: one, beside the rest of the stack on a small machine.
    stack = spawnDev(ports, dataDir, { TRAINER_THREADS: "1" });
    const exited = new Promise<number | null>((resolve) => stack?.once("exit", resolve));
    stack.stdout?.on("data", (chunk) => {
      output += chunk;
    });
    stack.stderr?.on("data", (chunk) => {
      output += chunk;
    });

    const edge = `http://127.0.0.1:${ports.DEV_EDGE_PORT}`;
    const inference = `http://127.0.0.1:${ports.DEV_INFERENCE_PORT}`;
    await until(
      "ready",
      async () => (output.includes("Ctrl-C stops everything") ? true : undefined),
      150_000,
    );
    expect(await answers(`${edge}/health/ready`)()).toBe(200);
    // The trainer service runs when Python has its packages; otherwise the output says why not.
    expect(output).toMatch(/starting the trainer service|the trainer service is not started/);
    if (output.includes("starting the trainer service")) {
      // Its settings validated and its loop started: it logs them (secrets masked) first.
      await until(
        "the trainer service's start-up line",
        async () => (output.includes('"msg": "trainer starting"') ? true : undefined),
        30_000,
      );
    }

    // A job, as a newcomer runs one: it succeeds with the model's detections.
    const api = edgeAt(edge);
    const { auth } = await signedInUser(api);
    const sample = renderSample(deriveSeed(5, "dev-stack", 0), { imgsz: 320 });
    const jobId = await uploadAndDetect(api, auth, await encodePng(sample.image, 8));
    const job = await readBody(
      await api.fetch(`/v1/jobs/${jobId}?wait=60`, { headers: { Authorization: auth } }),
      JobSchema,
    );
    expect(job.status).toBe("succeeded");
    expect(job.model.sha256).toMatch(/^[0-9a-f]{64}$/);

    // With the trainer running, a training run through the API, as a newcomer starts one.
    if (output.includes("starting the trainer service")) {
      const startedAt = Date.now();
      const run = await trainOnce(api, auth);
      console.log(`training run through npm run dev: ${Date.now() - startedAt} ms`);
      expect(run).toMatchObject({ status: "succeeded", model: "dev-welds@1" });
    }

    const crashed = listenerPid(ports.DEV_INFERENCE_PORT);
    expect(crashed).toBeNumber();
    const crashedAt = Date.now();
    process.kill(crashed as number, "SIGKILL");
    await until(
      "inference restarted",
      async () => {
        const pid = listenerPid(ports.DEV_INFERENCE_PORT);
        return pid !== undefined && pid !== crashed && (await answers(`${inference}/health`)()) === 200
          ? pid
          : undefined;
      },
      RESTART_BOUND_MS,
    );
    console.log(`inference serving again ${Date.now() - crashedAt} ms after SIGKILL`);
    expect(output).toContain("the inference service exited");
    expect(output).not.toContain("the trainer service exited");
    // The edge kept serving meanwhile and sees the service again.
    expect(await answers(`${edge}/health/ready`)()).toBe(200);

    // Work in flight when Ctrl-C comes: requests to both services that are still running.
    let loading = true;
    const load = Promise.all(
      Array.from({ length: 8 }, async (_, i) => {
        while (loading) await answers(i % 2 ? `${edge}/health/ready` : `${inference}/ready`)().catch(() => 0);
      }),
    );
    await Bun.sleep(500);

    const stoppedAt = Date.now();
    // Ctrl-C: SIGINT to the terminal's foreground group, PostgreSQL (spawned in it) included.
    process.kill(-(stack.pid as number), "SIGINT");
    // 0: its own shutdown ran to the end (not a library's exit hook cutting it short).
    expect(await exited).toBe(0);
    const stoppedIn = Date.now() - stoppedAt;
    loading = false;
    await load;
    console.log(`bun scripts/dev.ts exited ${stoppedIn} ms after SIGINT`);
    expect(stoppedIn).toBeLessThan(STOP_BOUND_MS);
    expect(stackProcesses(dataDir)).toEqual([]);
    for (const [name, port] of Object.entries(ports)) {
      expect({ name, free: await isPortFree(port) }).toEqual({ name, free: true });
    }
  },
  STACK_TIMEOUT_MS,
);
