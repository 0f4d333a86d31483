/**
 * `npm run dev` as a child process, the way the Ctrl-C test and the kill benchmark run it: on free
 * ports of its own, with its own data folder, in its own process group as a terminal gives it (so
 * a SIGINT to the group is Ctrl-C).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { freePort } from "./ports";
import { repoRoot } from "./settings";

const PORT_NAMES = [
  "EDGE",
  "POSTGRES",
  "WS_PROXY",
  "SQL_ENDPOINT",
  "INFERENCE",
  "QUEUES_API",
  "R2_S3",
  "PROMETHEUS",
] as const;

export type DevPorts = Record<`DEV_${(typeof PORT_NAMES)[number]}_PORT`, number>;

/** A distinct free port for every listener of the stack (free ports are not reserved: asked one after another, the same one may come back). */
export async function devPorts(): Promise<DevPorts> {
  const picked = new Set<number>();
  while (picked.size < PORT_NAMES.length) picked.add(await freePort());
  const ports = [...picked];
  return Object.fromEntries(PORT_NAMES.map((name, i) => [`DEV_${name}_PORT`, ports[i]])) as DevPorts;
}

/**
 * Starts `scripts/dev.ts` with the shipped models (so a job runs the whole road), warnings only in
 * the log, and `env` on top.
 */
export function spawnDev(ports: DevPorts, dataDir: string, env: Record<string, string> = {}): ChildProcess {
  return spawn(process.execPath, [join(repoRoot, "scripts/dev.ts")], {
    cwd: repoRoot,
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
    env: {
      ...process.env,
      ...Object.fromEntries(Object.entries(ports).map(([name, port]) => [name, String(port)])),
      DEV_DATA_DIR: dataDir,
      INFERENCE_MODELS_DIR: join(repoRoot, "inference", "models"),
      LOG_LEVEL: "warn",
      ...env,
    },
  });
}
