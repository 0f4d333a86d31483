import { spawn } from "node:child_process";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { repoRoot } from "../local-stack/settings";

const builds = new Map<string, Promise<string>>();

function run(command: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: repoRoot, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (chunk) => {
      output += chunk;
    });
    child.stderr.on("data", (chunk) => {
      output += chunk;
    });
    child.on("error", reject);
    child.on("exit", (code) =>
      code === 0 ? resolve() : reject(new Error(`${command} ${args.join(" ")} failed:\n${output}`)),
    );
  });
}

/**
 * The Worker exactly as `wrangler deploy` would upload it (wrangler's own bundling, bindings
 * from wrangler.toml), built once per run. `entry` swaps the entry module (benchmarks).
 * Returns the path of the bundled entry module.
 */
export function workerBundle(entry?: string): Promise<string> {
  const key = entry ?? "";
  let build = builds.get(key);
  if (!build) {
    build = (async () => {
      const outdir = await mkdtemp(join(tmpdir(), "defects-worker-"));
      const args = ["deploy", "--dry-run", `--outdir=${outdir}`, ...(entry ? [entry] : [])];
      await run(join(repoRoot, "node_modules/.bin/wrangler"), args);
      // Wrangler names the bundle after the entry file.
      const name = entry ? basename(entry).replace(/\.[cm]?[jt]s$/, ".js") : "index.js";
      return join(outdir, name);
    })();
    builds.set(key, build);
  }
  return build;
}
