/**
 * `npm run dev` in a child process, as scripts/local-stack/test/dev-stack.test.ts runs it (its own
 * ports and data folder, the shipped model), for `--kill`: its supervisor restarts wrangler, its
 * workerd or the inference service when one is killed by pid. Every line the stack prints
 * (wrangler's, workerd's, the Worker's) goes through `countLine`.
 */
import type { ChildProcess } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { chmod, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createDb } from "@db/client-bun";
import { devPorts, spawnDev } from "@scripts/local-stack/dev-process";
import { localDatabaseUrl } from "@scripts/local-stack/postgres";
import { edgeAt, signedInUser } from "@scripts/testing/auth-fixtures";
import { countLine } from "./logs";
import type { KillTarget, Stack } from "./stack";

const READY_TIMEOUT_MS = 240_000;
/** SIGINT, then the stack's own 10 s grace period and a margin, then SIGKILL to its group. */
const STOP_TIMEOUT_MS = 20_000;

/** Pids of the processes this stack started (they inherit its DEV_DATA_DIR), with their names. */
function stackProcesses(
  dataDir: string,
): Array<{ pid: number; pgid: number; comm: string; cmdline: string }> {
  const marker = `DEV_DATA_DIR=${dataDir}\0`;
  const found = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (fields[0] === "Z" || !readFileSync(`/proc/${entry}/environ`, "latin1").includes(marker)) continue;
      found.push({
        pid: Number(entry),
        pgid: Number(fields[2]),
        comm: readFileSync(`/proc/${entry}/comm`, "utf8").trim(),
        cmdline: readFileSync(`/proc/${entry}/cmdline`, "latin1").replaceAll("\0", " "),
      });
    } catch {
      // The process ended while it was read.
    }
  }
  return found;
}

/** The pid `--kill target` means: the inference service, workerd, or wrangler's group leader. */
function targetPid(dataDir: string, target: KillTarget): number | undefined {
  return stackProcesses(dataDir).find((p) =>
    target === "inference"
      ? p.cmdline.includes("inference/src/main.ts")
      : target === "workerd"
        ? p.comm === "workerd"
        : p.cmdline.includes("wrangler") && p.comm !== "workerd" && p.pgid === p.pid,
  )?.pid;
}

export async function startDevStack(log: (line: string) => void): Promise<Stack> {
  const root = await mkdtemp(join(tmpdir(), "bench-e2e-dev-"));
  await chmod(root, 0o755);
  const ports = await devPorts();
  const dataDir = join(root, "data");
  const child: ChildProcess = spawnDev(ports, dataDir);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  let ready = false;
  let tail = "";
  const onLine = (line: string) => {
    tail = `${tail}${line}\n`.slice(-4000);
    if (line.includes("Ctrl-C stops everything")) ready = true;
    // The supervisor's restarts and wrangler's reloads (a source file changed) are shown; the rest
    // is counted.
    if (line.startsWith("[dev]")) {
      if (ready && !line.includes("web app rebuilt")) log(`  ${line}`);
    } else if (/Reloading|Local server updated/.test(line)) log(`  [wrangler] ${line.trim()}`);
    else if (!countLine(line) && process.env.BENCH_VERBOSE) log(line);
  };
  for (const stream of [child.stdout, child.stderr]) {
    let partial = "";
    stream?.on("data", (chunk: Buffer) => {
      const lines = (partial + chunk.toString()).split("\n");
      partial = lines.pop() ?? "";
      for (const line of lines) onLine(line);
    });
  }
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (!ready && child.exitCode === null && Date.now() < deadline) await Bun.sleep(250);
  const stop = async () => {
    if (child.exitCode === null && child.pid) process.kill(-child.pid, "SIGINT");
    const stopped = await Promise.race([
      exited.then(() => true),
      Bun.sleep(STOP_TIMEOUT_MS).then(() => false),
    ]);
    if (!stopped && child.pid) process.kill(-child.pid, "SIGKILL");
  };
  if (!ready) {
    await stop();
    await rm(root, { recursive: true, force: true });
    throw new Error(`npm run dev did not get ready; its output:\n${tail}`);
  }
  const origin = `http://127.0.0.1:${ports.DEV_EDGE_PORT}`;
  const database = createDb(localDatabaseUrl(ports.DEV_POSTGRES_PORT, "defects"), { max: 4 });
  return {
    shape: "npm run dev",
    origin,
    db: database.db,
    describe: `npm run dev in a child process (supervised wrangler + workerd, inference as its own Bun process), edge ${origin}`,
    newCaller: async () => {
      const { user, auth } = await signedInUser(edgeAt(origin));
      return { id: user.id, auth, images: [] };
    },
    pidOf: (target) => targetPid(dataDir, target),
    kill: (target) => {
      const pid = targetPid(dataDir, target);
      if (pid === undefined) throw new Error(`no ${target} process in the stack`);
      process.kill(pid, "SIGKILL");
      return pid;
    },
    dispose: async () => {
      await database.close();
      await stop();
      await rm(root, { recursive: true, force: true });
    },
  };
}
