/**
 * The supervisor against small real processes: a CLI that starts a server in its own process
 * group (as wrangler starts workerd). Killing the CLI, killing the server, or wedging the server
 * each ends with the service answering again on the same port within the restart bound, and
 * stopping leaves nothing behind.
 */
import { afterEach, expect, test } from "bun:test";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { freePort, isPortFree } from "../ports";
import { type Supervised, supervise } from "../supervise";

const FIXTURE = join(import.meta.dir, "fixtures/cli-with-server.ts");
/** What `npm run dev` promises after a kill (docs/operations.md, Local stack). */
const SERVING_AGAIN_WITHIN_MS = 15_000;
const PROBE_INTERVAL_MS = 250;

let running: Supervised | undefined;
const lines: string[] = [];

afterEach(async () => {
  await running?.stop();
  running = undefined;
  lines.length = 0;
});

/** The pid listening on `port`, from the kernel's socket table. */
function listenerPid(port: number): number | undefined {
  const table = execFileSync("ss", ["-Hltnp", `sport = :${port}`], { encoding: "utf8" });
  const pid = /pid=(\d+)/.exec(table)?.[1];
  return pid === undefined ? undefined : Number(pid);
}

/** Running, not a zombie left for a parent (or a container's pid 1) to reap. */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

/** The server's pid once it answers on `port`, other than `not`; throws after `timeoutMs`. */
async function serving(port: number, timeoutMs: number, not?: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const response = await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(500) });
      const pid = Number(await response.text());
      if (pid !== not) return pid;
    } catch {
      // Not (yet) answering.
    }
    await Bun.sleep(50);
  }
  throw new Error(`nothing answered on ${port} within ${timeoutMs} ms; log:\n${lines.join("\n")}`);
}

/** `npm run dev`'s probe settings (docs/operations.md, Local stack). */
const DEV_PROBE = { intervalMs: 1_000, timeoutMs: 2_000, failures: 3 };

function start(
  port: number,
  probe = { intervalMs: PROBE_INTERVAL_MS, timeoutMs: PROBE_INTERVAL_MS, failures: 3 },
) {
  running = supervise({
    name: "cli",
    command: process.execPath,
    args: [FIXTURE, String(port)],
    cwd: import.meta.dir,
    env: process.env,
    graceMs: 2_000,
    port,
    health: { url: `http://127.0.0.1:${port}/health`, ...probe },
    log: (line) => lines.push(line),
  });
  return running;
}

test("killing the CLI kills its server too, frees the port, and the service comes back", async () => {
  const port = await freePort();
  const cli = start(port);
  const server = await serving(port, 10_000);
  const killedAt = Date.now();
  process.kill(cli.pid as number, "SIGKILL");
  const restarted = await serving(port, SERVING_AGAIN_WITHIN_MS, server);
  expect(Date.now() - killedAt).toBeLessThan(SERVING_AGAIN_WITHIN_MS);
  // The orphaned server did not survive to hold the port.
  expect(alive(server)).toBe(false);
  expect(listenerPid(port)).toBe(restarted);
  expect(cli.restarts).toBe(1);
  expect(lines.join("\n")).toContain("cli exited (SIGKILL)");
}, 30_000);

test("a server killed under a live CLI is restarted at the first probe its port refuses", async () => {
  const port = await freePort();
  // The dev stack's own probe settings: the bound below is the one `npm run dev` gives.
  const cli = start(port, DEV_PROBE);
  const server = await serving(port, 10_000);
  // Until the probe has seen it answer: a service that never answered is judged by its start-up time.
  await Bun.sleep(2 * DEV_PROBE.intervalMs);
  const firstCli = cli.pid as number;
  const killedAt = Date.now();
  process.kill(server, "SIGKILL");
  const restarted = await serving(port, SERVING_AGAIN_WITHIN_MS, server);
  const tookMs = Date.now() - killedAt;
  // One probe interval, the back-off and the CLI's start, not three failed probes.
  expect(tookMs).toBeLessThan(DEV_PROBE.intervalMs * DEV_PROBE.failures);
  expect(alive(firstCli)).toBe(false);
  expect(cli.pid).not.toBe(firstCli);
  expect(listenerPid(port)).toBe(restarted);
  expect(cli.restarts).toBe(1);
  const log = lines.join("\n");
  expect(log).toContain("refused connections");
  expect(log).not.toContain("did not answer");
}, 30_000);

test("a hung server (port open, not answering) is killed and restarted after the failed probes", async () => {
  const port = await freePort();
  const cli = start(port);
  const server = await serving(port, 10_000);
  await Bun.sleep(3 * PROBE_INTERVAL_MS);
  const hungAt = Date.now();
  await (await fetch(`http://127.0.0.1:${port}/hang`)).text();
  // Still listening, answering nothing.
  expect(listenerPid(port)).toBe(server);
  const restarted = await serving(port, SERVING_AGAIN_WITHIN_MS, server);
  expect(Date.now() - hungAt).toBeLessThan(SERVING_AGAIN_WITHIN_MS);
  expect(alive(server)).toBe(false);
  expect(listenerPid(port)).toBe(restarted);
  expect(cli.restarts).toBe(1);
  expect(lines.join("\n")).toContain("did not answer");
  expect(lines.join("\n")).not.toContain("refused connections");
}, 30_000);

test("crashes in a row back off, within the bound", async () => {
  const port = await freePort();
  const cli = supervise({
    name: "cli",
    command: process.execPath,
    args: [FIXTURE, String(port)],
    cwd: import.meta.dir,
    env: process.env,
    backoffMs: 100,
    maxBackoffMs: 400,
    port,
    log: (line) => lines.push(line),
  });
  running = cli;
  let server = await serving(port, 10_000);
  for (let i = 0; i < 4; i++) {
    process.kill(cli.pid as number, "SIGKILL");
    server = await serving(port, SERVING_AGAIN_WITHIN_MS, server);
  }
  const delays = lines.map((line) => /restarting in ([\d.]+) s/.exec(line)?.[1]).filter(Boolean);
  expect(delays).toEqual(["0.1", "0.2", "0.4", "0.4"]);
}, 60_000);

test("stop ends the CLI and its server and frees the port", async () => {
  const port = await freePort();
  const cli = start(port);
  const server = await serving(port, 10_000);
  const parent = cli.pid as number;
  await cli.stop();
  running = undefined;
  expect(await isPortFree(port)).toBe(true);
  expect(alive(parent)).toBe(false);
  // SIGKILLed with the group; gone as soon as the kernel has finished it.
  const deadline = Date.now() + 1_000;
  while (alive(server) && Date.now() < deadline) await Bun.sleep(20);
  expect(alive(server)).toBe(false);
}, 30_000);
