/**
 * Where the machine's CPU went during a run: the bench's own process tree by process name (workerd,
 * postgres, inference's bun, the stress child) and everything else on the machine, in cores.
 */
import { readdirSync, readFileSync } from "node:fs";

type ProcessTicks = { ppid: number; comm: string; ticks: number };
export type CpuSnapshot = { at: number; processes: Map<number, ProcessTicks>; busy: number };

/** Clock ticks per second on Linux (USER_HZ). */
const TICKS_PER_SECOND = 100;

function readProcess(pid: string): ProcessTicks | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const close = stat.lastIndexOf(")");
    const comm = stat.slice(stat.indexOf("(") + 1, close);
    const fields = stat.slice(close + 2).split(" ");
    // Fields after the name: state, ppid, …, utime (14th of the line), stime (15th).
    return { ppid: Number(fields[1]), comm, ticks: Number(fields[11]) + Number(fields[12]) };
  } catch {
    return undefined;
  }
}

export function cpuSnapshot(): CpuSnapshot {
  const processes = new Map<number, ProcessTicks>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const found = readProcess(entry);
    if (found) processes.set(Number(entry), found);
  }
  const [cpu] = readFileSync("/proc/stat", "utf8").split("\n");
  const ticks = (cpu ?? "").split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal: busy is all but idle and iowait.
  const busy = ticks.reduce((a, b) => a + b, 0) - (ticks[3] ?? 0) - (ticks[4] ?? 0);
  return { at: performance.now(), processes, busy };
}

function isMine(pid: number, processes: Map<number, ProcessTicks>): boolean {
  for (let at = pid, hops = 0; at > 1 && hops < 20; hops++) {
    if (at === process.pid) return true;
    const parent = processes.get(at)?.ppid;
    if (parent === undefined) return false;
    at = parent;
  }
  return false;
}

/** What a process of the bench's tree is, by its command line where its name says too little. */
function labelOf(pid: number, comm: string): string {
  if (pid === process.pid) return "bench process (client, SQL-over-HTTP, Queues API, R2 S3 stand-ins)";
  let cmdline = "";
  try {
    cmdline = readFileSync(`/proc/${pid}/cmdline`, "latin1");
  } catch {
    return comm;
  }
  if (cmdline.includes("inference/src/main.ts")) return "inference";
  if (cmdline.includes("scripts/dev.ts")) return "npm run dev supervisor";
  if (cmdline.includes("wrangler") && comm !== "workerd") return "wrangler";
  return comm;
}

/** Cores used between the snapshots, by label, most first; `labels` names some pids. */
export function cpuBetween(before: CpuSnapshot, after: CpuSnapshot, labels: Map<number, string>): string {
  const seconds = (after.at - before.at) / 1000;
  const cores = (ticks: number) => ticks / TICKS_PER_SECOND / seconds;
  const byLabel = new Map<string, number>();
  let mine = 0;
  for (const [pid, now] of after.processes) {
    if (!isMine(pid, after.processes)) continue;
    const spent = now.ticks - (before.processes.get(pid)?.ticks ?? 0);
    const label = labels.get(pid) ?? labelOf(pid, now.comm);
    byLabel.set(label, (byLabel.get(label) ?? 0) + spent);
    mine += spent;
  }
  const total = after.busy - before.busy;
  byLabel.set("rest of the machine (not the bench's)", Math.max(0, total - mine));
  return `${[...byLabel]
    .sort((a, b) => b[1] - a[1])
    .filter(([, ticks]) => cores(ticks) >= 0.01)
    .map(([label, ticks]) => `${label} ${cores(ticks).toFixed(2)}`)
    .join(", ")} (machine busy ${cores(total).toFixed(2)} of ${navigator.hardwareConcurrency} cores)`;
}
