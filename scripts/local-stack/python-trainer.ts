import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { readLocalSettings, repoRoot } from "./settings";

/** The trainer service's entry, run by path: the harness never imports the trainer's code. */
export const TRAINER_SERVICE_MAIN = join(repoRoot, "inference/training/service/main.py");

/** What the trainer service imports, and the Debian packages that provide them. */
const TRAINER_MODULES = "torch, onnx, numpy, PIL, yaml";
export const TRAINER_APT_PACKAGES = "python3-torch python3-onnx python3-numpy python3-pil python3-yaml";

/** The interpreter the local stack and the tests run the trainer with (`PYTHON`, else Debian's). */
export const trainerPython = () => readLocalSettings().trainerPython;

/**
 * Why `python` cannot run the trainer service (not found, or a module missing), or null when it
 * can. Importing torch takes seconds, so callers start this early and await it late.
 */
export async function trainerPythonProblem(python: string): Promise<string | null> {
  try {
    const probe = Bun.spawn([python, "-c", `import ${TRAINER_MODULES}`], {
      stdout: "ignore",
      stderr: "pipe",
    });
    const [code, stderr] = await Promise.all([probe.exited, new Response(probe.stderr).text()]);
    if (code === 0) return null;
    const last = stderr.trim().split("\n").at(-1) || `exit ${code}`;
    return `${python} cannot import ${TRAINER_MODULES} (${last})`;
  } catch {
    return `${python} was not found`;
  }
}

export type PythonTrainer = {
  readonly process: ChildProcess;
  /** Everything it printed so far (its JSON log lines, train.py's failures). */
  output(): string;
  /** SIGTERM (the service finishes its epoch and exits), SIGKILL to its group after `graceMs`. */
  stop(graceMs?: number): Promise<number | null>;
};

/**
 * Runs the Python trainer service as a test runs it: its own process group, `nice -n 19`, one
 * torch thread, pulling `train` with `env` (TRAINER_EDGE_URL, TRAINER_CALLBACK_TOKEN, TRAINER_CF_*)
 * and polling an idle queue often.
 */
export function startPythonTrainer(python: string, env: Record<string, string>): PythonTrainer {
  let output = "";
  const child = spawn("nice", ["-n", "19", python, TRAINER_SERVICE_MAIN], {
    cwd: repoRoot,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      OMP_NUM_THREADS: "1",
      MKL_NUM_THREADS: "1",
      TRAINER_THREADS: "1",
      TRAINER_PULL_IDLE_SECONDS: "0.2",
      TRAINER_RETRY_DELAY_SECONDS: "0",
      ...env,
    },
  });
  const collect = (chunk: Buffer) => {
    output += chunk.toString();
    if (process.env.TEST_VERBOSE) process.stdout.write(chunk);
  };
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const killGroup = (signal: NodeJS.Signals) => {
    try {
      if (child.pid) process.kill(-child.pid, signal);
    } catch {
      // The group is gone already.
    }
  };
  return {
    process: child,
    output: () => output,
    async stop(graceMs = 30_000) {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill("SIGTERM");
      const timer = setTimeout(() => killGroup("SIGKILL"), graceMs);
      const code = await exited;
      clearTimeout(timer);
      // train.py runs in the service's group: nothing of it may outlive the test.
      killGroup("SIGKILL");
      return code;
    },
  };
}
