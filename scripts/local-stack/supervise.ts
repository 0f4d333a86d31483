import { type ChildProcess, spawn } from "node:child_process";
import { connect } from "node:net";
import { isPortFree } from "./ports";

export type HealthProbe = {
  /** Answered (any HTTP status) while the service is alive; e.g. the Worker's `/health`. */
  url: string;
  /** Time between probes. */
  intervalMs?: number;
  /** A probe not answered within this long failed. */
  timeoutMs?: number;
  /**
   * Failed probes in a row, after the service first answered, that make it hung (its port accepts
   * connections but nothing answers). A port that refuses connections needs one: the server is gone.
   */
  failures?: number;
  /** A (re)started service that has not answered within this long is hung too. */
  startupTimeoutMs?: number;
};

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
  /** The port the service listens on: a restart waits until nothing holds it any more. */
  port?: number;
  /** How long a restart waits for `port` to be free before it says so and keeps waiting. */
  portFreeTimeoutMs?: number;
  /** Probes that notice a service alive but not answering (wrangler up, its workerd gone). */
  health?: HealthProbe;
  log: (line: string) => void;
};

export type Supervised = {
  /** The running child's pid (changes on each restart). */
  readonly pid: number | undefined;
  /** Restarts so far (crashes and hangs). */
  readonly restarts: number;
  /** SIGTERM to the process group, SIGKILL after the grace period; resolves once it has exited. */
  stop(): Promise<void>;
};

/** Defaults, documented in docs/operations.md (Local stack). */
export const SUPERVISION_DEFAULTS = {
  graceMs: 10_000,
  backoffMs: 500,
  maxBackoffMs: 4_000,
  healthyAfterMs: 30_000,
  portFreeTimeoutMs: 10_000,
  healthIntervalMs: 1_000,
  healthTimeoutMs: 2_000,
  healthFailures: 3,
  startupTimeoutMs: 120_000,
} as const;

const PORT_POLL_MS = 100;

/** Signals every process of the group led by `pid`; false when the group is gone. */
function signalGroup(pid: number | undefined, signal: NodeJS.Signals): boolean {
  if (!pid) return false;
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    return false;
  }
}

const exited = (child: ChildProcess) => child.exitCode !== null || child.signalCode !== null;

/** Whether `url`'s host refuses a TCP connection to its port (nothing listens there any more). */
export function refusesConnections(url: string, timeoutMs: number): Promise<boolean> {
  const { hostname, port, protocol } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect({ host: hostname, port: Number(port || (protocol === "https:" ? 443 : 80)) });
    const settle = (refused: boolean) => {
      socket.destroy();
      resolve(refused);
    };
    socket.setTimeout(timeoutMs, () => settle(false));
    socket.once("connect", () => settle(false));
    socket.once("error", (error: NodeJS.ErrnoException) => settle(error.code === "ECONNREFUSED"));
  });
}

/**
 * Runs a child in its own process group and keeps it serving:
 * - when it exits on its own, the whole group is killed (what it started, such as wrangler's
 *   workerd, would otherwise keep its port without answering), and it is restarted once its port
 *   is free, after a back-off that doubles per crash in a row up to `maxBackoffMs` and resets after
 *   `healthyAfterMs` of running;
 * - with a health probe, a child whose port refuses connections after it answered (its server,
 *   such as wrangler's workerd, died under it) is killed, group and all, at the first such probe;
 *   one whose port accepts but does not answer (`failures` probes in a row: hung) or that never
 *   answers after a start is killed the same way; each is restarted as above.
 * Stopping is bounded: the group is killed when the grace period runs out.
 */
export function supervise(options: SupervisedOptions): Supervised {
  const graceMs = options.graceMs ?? SUPERVISION_DEFAULTS.graceMs;
  const backoffMs = options.backoffMs ?? SUPERVISION_DEFAULTS.backoffMs;
  const maxBackoffMs = options.maxBackoffMs ?? SUPERVISION_DEFAULTS.maxBackoffMs;
  const healthyAfterMs = options.healthyAfterMs ?? SUPERVISION_DEFAULTS.healthyAfterMs;
  const portFreeTimeoutMs = options.portFreeTimeoutMs ?? SUPERVISION_DEFAULTS.portFreeTimeoutMs;
  let child: ChildProcess;
  let crashes = 0;
  let restarts = 0;
  let stopping = false;
  let restartTimer: ReturnType<typeof setTimeout> | undefined;
  let stopProbing = () => {};

  const start = () => {
    if (stopping) return;
    const startedAt = Date.now();
    const current = spawn(options.command, options.args, {
      cwd: options.cwd,
      env: options.env,
      stdio: ["ignore", "inherit", "inherit"],
      detached: true,
    });
    child = current;
    // A command that cannot be spawned at all exits like a crash (ENOENT) and is retried.
    current.once("error", (error) => options.log(`${options.name} could not start: ${error.message}`));
    stopProbing = options.health ? probe(current, options.health) : () => {};
    current.once("exit", (code, signal) => {
      stopProbing();
      // Whatever the child left in its group goes with it, so its port is released.
      signalGroup(current.pid, "SIGKILL");
      if (stopping) return;
      crashes = Date.now() - startedAt >= healthyAfterMs ? 1 : crashes + 1;
      const delay = Math.min(maxBackoffMs, backoffMs * 2 ** (crashes - 1));
      options.log(`${options.name} exited (${signal ?? code}); restarting in ${delay / 1000} s`);
      restartTimer = setTimeout(() => void restart(), delay);
    });
  };

  const restart = async () => {
    if (options.port !== undefined) await portFreed(options.port);
    if (stopping) return;
    restarts++;
    start();
  };

  /** Resolves once nothing listens on `port` (or the supervisor is stopping). */
  const portFreed = async (port: number) => {
    let deadline = Date.now() + portFreeTimeoutMs;
    while (!stopping && !(await isPortFree(port))) {
      if (Date.now() >= deadline) {
        options.log(
          `${options.name}: port ${port} is still in use by a process outside its group; waiting for it`,
        );
        deadline = Date.now() + portFreeTimeoutMs;
      }
      await Bun.sleep(PORT_POLL_MS);
    }
  };

  /** After a stop: waits, at most `portFreeTimeoutMs`, for the killed group to let go of `port`. */
  const portReleased = async (port: number) => {
    const deadline = Date.now() + portFreeTimeoutMs;
    while (Date.now() < deadline && !(await isPortFree(port))) await Bun.sleep(PORT_POLL_MS);
  };

  /** Probes `current` until it exits; returns what stops the probing. */
  const probe = (current: ChildProcess, health: HealthProbe) => {
    const intervalMs = health.intervalMs ?? SUPERVISION_DEFAULTS.healthIntervalMs;
    const timeoutMs = health.timeoutMs ?? SUPERVISION_DEFAULTS.healthTimeoutMs;
    const failuresAllowed = health.failures ?? SUPERVISION_DEFAULTS.healthFailures;
    const startupTimeoutMs = health.startupTimeoutMs ?? SUPERVISION_DEFAULTS.startupTimeoutMs;
    const startedAt = Date.now();
    let answered = false;
    let failures = 0;
    let busy = false;
    const hung = (why: string) => {
      clearInterval(timer);
      options.log(`${options.name} ${why}; killing its process group`);
      // It is not answering, so it would not act on SIGTERM either; the exit handler restarts it.
      signalGroup(current.pid, "SIGKILL");
    };
    const timer = setInterval(async () => {
      if (busy || exited(current)) return;
      busy = true;
      try {
        const response = await fetch(health.url, { signal: AbortSignal.timeout(timeoutMs) });
        await response.body?.cancel();
        answered = true;
        failures = 0;
      } catch {
        const refused = answered && (await refusesConnections(health.url, timeoutMs));
        if (exited(current)) return;
        if (refused) {
          hung(`refused connections on ${health.url} (its server is gone)`);
        } else if (answered && ++failures >= failuresAllowed) {
          hung(`did not answer ${health.url} ${failures} times in a row`);
        } else if (!answered && Date.now() - startedAt >= startupTimeoutMs) {
          hung(`did not answer ${health.url} within ${startupTimeoutMs / 1000} s of starting`);
        }
      } finally {
        busy = false;
      }
    }, intervalMs);
    return () => clearInterval(timer);
  };

  start();

  return {
    get pid() {
      return child.pid;
    },
    get restarts() {
      return restarts;
    },
    stop() {
      stopping = true;
      clearTimeout(restartTimer);
      stopProbing();
      const current = child;
      const released = () => (options.port === undefined ? Promise.resolve() : portReleased(options.port));
      if (exited(current)) {
        signalGroup(current.pid, "SIGKILL");
        return released();
      }
      return new Promise<void>((resolve) => {
        const kill = setTimeout(() => {
          options.log(`${options.name} did not stop within ${graceMs / 1000} s; killing it`);
          signalGroup(current.pid, "SIGKILL");
        }, graceMs);
        current.once("exit", () => {
          clearTimeout(kill);
          // The exit handler killed what was left of the group; its sockets close as it dies.
          void released().then(resolve);
        });
        signalGroup(current.pid, "SIGTERM");
      });
    },
  };
}
