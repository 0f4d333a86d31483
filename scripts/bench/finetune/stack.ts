/**
 * The stack the fine-tuning bench drives, in this process as the system tests run it: the edge
 * Worker in workerd (its own database, R2 with the S3 stand-in for presigned reads, the local
 * Queues API it forwards `detect` and `train` to), the real inference service with the shipped
 * models pulling `detect` (jobs and evaluations), and the real Python trainer service, a child
 * process run by path with `nice -n 19`, pulling `train`.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { loadConfig } from "@inference/config";
import { silentLogger } from "@inference/log";
import { createService, type Service } from "@inference/service";
import { type PythonTrainer, startPythonTrainer } from "@scripts/local-stack/python-trainer";
import { repoRoot } from "@scripts/local-stack/settings";
import { signedInUser } from "@scripts/testing/auth-fixtures";
import { sharedServices, stopSharedServices } from "@scripts/testing/shared-services";
import { startTestWorker, type TestWorker } from "@scripts/testing/test-worker";

export type BenchStack = {
  worker: TestWorker;
  /** A signed-in user's `Authorization` value (one team: the runs are its models). */
  auth: string;
  trainer: PythonTrainer;
  /** CPU seconds (user + sys) of the trainer service and the train.py runs it waited for. */
  trainerCpuSeconds(): Promise<number>;
  dispose(): Promise<void>;
};

export type StackOptions = {
  python: string;
  workDir: string;
  trainerThreads: number;
  inferenceThreads: number;
};

/** The kernel's clock ticks per second of /proc/<pid>/stat times (USER_HZ, 100 on Linux). */
const CLOCK_TICKS = 100;

/**
 * utime + stime + cutime + cstime of a process: its own CPU and that of the children it reaped
 * (the service runs each fine-tune as a train.py child and waits for it).
 */
async function cpuSecondsOf(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8");
  // Fields after the command name (which may hold spaces) start at the state, field 3.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const ticks = [11, 12, 13, 14].reduce((sum, i) => sum + Number(fields[i]), 0);
  return ticks / CLOCK_TICKS;
}

async function startInference(worker: TestWorker, threads: number): Promise<Service> {
  const { secrets } = await sharedServices();
  const service = await createService(
    loadConfig({
      INFERENCE_MODELS_DIR: join(repoRoot, "inference", "models"),
      INFERENCE_EDGE_URL: worker.origin,
      INFERENCE_CALLBACK_TOKEN: secrets.callbackToken,
      INFERENCE_INTRA_OP_THREADS: String(threads),
      ...worker.detectQueue.inferenceEnv,
      INFERENCE_PULL_IDLE_MS: "50",
    }),
    silentLogger,
  );
  await service.models.warmup();
  service.start();
  return service;
}

export async function startBenchStack(options: StackOptions): Promise<BenchStack> {
  const worker = await startTestWorker({
    r2S3: true,
    // A bench run outlasts the default 15-minute access token, and its one user uploads hundreds
    // of films and review actions a minute: the limiter is not what it measures.
    vars: {
      ACCESS_TOKEN_TTL_SECONDS: "86400",
      RATE_LIMIT_READ: "100000/60s",
      RATE_LIMIT_WRITE: "100000/60s",
    },
  });
  const service = await startInference(worker, options.inferenceThreads);
  const { auth } = await signedInUser(worker);
  const trainer = startPythonTrainer(options.python, {
    ...worker.detectQueue.trainerEnv,
    TRAINER_EDGE_URL: worker.origin,
    TRAINER_CALLBACK_TOKEN: worker.trainerCallbackToken,
    TRAINER_MODELS_DIR: join(repoRoot, "inference", "models"),
    TRAINER_WORK_DIR: options.workDir,
    TRAINER_THREADS: String(options.trainerThreads),
    OMP_NUM_THREADS: String(options.trainerThreads),
    MKL_NUM_THREADS: String(options.trainerThreads),
    TRAINER_PULL_IDLE_SECONDS: "1",
    // A GPU host trains on its device (e.g. `cuda`); the service picks one itself otherwise.
    ...(process.env.TRAINER_DEVICE ? { TRAINER_DEVICE: process.env.TRAINER_DEVICE } : {}),
  });
  const pid = trainer.process.pid;
  if (pid === undefined) throw new Error(`the trainer service did not start\n${trainer.output()}`);
  return {
    worker,
    auth,
    trainer,
    trainerCpuSeconds: () => cpuSecondsOf(pid),
    async dispose() {
      await trainer.stop();
      await service.drain();
      await service.close();
      await worker.dispose();
      await stopSharedServices();
    },
  };
}
