import { type ChildProcess, spawn } from "node:child_process";

export type SupervisedOptions = {
  /** Name in log lines. */
  name: string;
  command: string;
  args: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** After SIGTERM, how long the process group may take before it is killed. */
  graceMs?: number;
  /** Restart delays grow from this, doubling per crash in a row, up to `maxBackoffMs`. */
  backoffMs?: number;
  maxBackoffMs?: number;
  /** A run this long resets the back-off. */
  healthyAfterMs?: number;
  log: (line: string) => void;
};

export type Supervised = {
  /** The running child's pid (changes on each restart). */
  readonly pid: number | undefined;
  /** SIGTERM to the process group, SIGKILL after the grace period; resolves once it has exited. */
  stop(): Promise<void>;
};

/**
 * Runs a child in its own process group (so stopping it also stops what it started) and restarts
 * it with back-off when it exits on its own. Stopping is bounded: the group is killed when the
 * grace period runs out, so nothing outlives the stack.
 */
export function supervise(options: SupervisedOptions): Supervised {
  const graceMs = options.graceMs ?? 10_000;
  const backoffMs = options.backoffMs ?? 1_000;
  const maxBackoffMs = options.maxBackoffMs ?? 30_000;
  const healthyAfterMs = options.healthyAfterMs ?? 60_000;
  let child: ChildProcess;
  let crashes = 0;
  let stopping = false;
  let restartTimer: ReturnType<typeof setTimeout> | undefined;

  const start = () => {
    const startedAt = Date.now();
    child = spawn(options.command, options.args, {
      cwd: options.cwd,
      env: options.env,
      stdio: ["ignore", "inherit", "inherit"],
      detached: true,
    });
    child.once("exit", (code, signal) => {
      if (stopping) return;
      crashes = Date.now() - startedAt >= healthyAfterMs ? 1 : crashes + 1;
      const delay = Math.min(maxBackoffMs, backoffMs * 2 ** (crashes - 1));
      options.log(`${options.name} exited (${signal ?? code}); restarting in ${delay / 1000} s`);
      restartTimer = setTimeout(start, delay);
    });
  };
  start();

  const signalGroup = (process: ChildProcess, signal: NodeJS.Signals) => {
    try {
      if (process.pid) globalThis.process.kill(-process.pid, signal);
    } catch {
      // The group is already gone.
    }
  };

  return {
    get pid() {
      return child.pid;
    },
    stop() {
      stopping = true;
      clearTimeout(restartTimer);
      const current = child;
      if (current.exitCode !== null || current.signalCode !== null) return Promise.resolve();
      return new Promise<void>((resolve) => {
        const kill = setTimeout(() => {
          options.log(`${options.name} did not stop within ${graceMs / 1000} s; killing it`);
          signalGroup(current, "SIGKILL");
        }, graceMs);
        current.once("exit", () => {
          clearTimeout(kill);
          // Whatever the child left in its group goes with it.
          signalGroup(current, "SIGKILL");
          resolve();
        });
        signalGroup(current, "SIGTERM");
      });
    },
  };
}
