/**
 * `npm run dev` as a newcomer runs it: the whole stack starts, a crashed inference service comes
 * back while the rest keeps serving, and Ctrl-C leaves no process listening on any stack port.
 */
import { afterAll, expect, test } from "bun:test";
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { chmod, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, isPortFree } from "../ports";
import { repoRoot } from "../settings";

const STACK_TIMEOUT_MS = 180_000;

const root = await mkdtemp(join(tmpdir(), "defects-dev-"));
await chmod(root, 0o755);
const ports = {
  DEV_EDGE_PORT: await freePort(),
  DEV_POSTGRES_PORT: await freePort(),
  DEV_WS_PROXY_PORT: await freePort(),
  DEV_SQL_ENDPOINT_PORT: await freePort(),
  DEV_INFERENCE_PORT: await freePort(),
  DEV_QUEUES_API_PORT: await freePort(),
};
let stack: ChildProcess | undefined;
let output = "";

afterAll(async () => {
  if (stack?.exitCode === null) stack.kill("SIGKILL");
  await rm(root, { recursive: true, force: true });
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

/** The pid listening on `port`, from the kernel's socket table. */
function listenerPid(port: number): number | undefined {
  const table = execFileSync("ss", ["-Hltnp", `sport = :${port}`], { encoding: "utf8" });
  const pid = /pid=(\d+)/.exec(table)?.[1];
  return pid === undefined ? undefined : Number(pid);
}

test(
  "npm run dev: starts, restarts a crashed inference service, and Ctrl-C leaves nothing behind",
  async () => {
    stack = spawn(process.execPath, [join(repoRoot, "scripts/dev.ts")], {
      cwd: repoRoot,
      stdio: ["ignore", "pipe", "pipe"],
      env: {
        ...process.env,
        ...Object.fromEntries(Object.entries(ports).map(([name, port]) => [name, String(port)])),
        DEV_DATA_DIR: join(root, "data"),
        // No model: the service starts at once and reports not ready, which is all this needs.
        INFERENCE_MODELS_DIR: join(root, "models"),
        LOG_LEVEL: "warn",
      },
    });
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

    const crashed = listenerPid(ports.DEV_INFERENCE_PORT);
    expect(crashed).toBeNumber();
    process.kill(crashed as number, "SIGKILL");
    await until(
      "inference restarted",
      async () => {
        const pid = listenerPid(ports.DEV_INFERENCE_PORT);
        return pid !== undefined && pid !== crashed && (await answers(`${inference}/health`)()) === 200
          ? pid
          : undefined;
      },
      30_000,
    );
    expect(output).toContain("the inference service exited");
    // The edge kept serving meanwhile and sees the service again.
    expect(await answers(`${edge}/health/ready`)()).toBe(200);

    const stoppedAt = Date.now();
    stack.kill("SIGINT");
    // 0: its own shutdown ran to the end (not a library's exit hook cutting it short).
    expect(await exited).toBe(0);
    expect(Date.now() - stoppedAt).toBeLessThan(30_000);
    for (const [name, port] of Object.entries(ports)) {
      expect({ name, free: await isPortFree(port) }).toEqual({ name, free: true });
    }
  },
  STACK_TIMEOUT_MS,
);
