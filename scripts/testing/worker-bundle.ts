import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { repoRoot } from "../local-stack/settings";
import { runCommand } from "./run-command";

const builds = new Map<string, Promise<string>>();

/**
 * The Worker exactly as `wrangler deploy` would upload it (wrangler's own bundling, bindings
 * from wrangler.toml), built once per run. `entry` swaps the entry module (the local stack's
 * dev entry, benchmarks).
 * Returns the path of the bundled entry module.
 */
export function workerBundle(entry?: string): Promise<string> {
  const key = entry ?? "";
  let build = builds.get(key);
  if (!build) {
    build = (async () => {
      const outdir = await mkdtemp(join(tmpdir(), "defects-worker-"));
      const args = ["deploy", "--dry-run", `--outdir=${outdir}`, ...(entry ? [entry] : [])];
      await runCommand(join(repoRoot, "node_modules/.bin/wrangler"), args, { cwd: repoRoot });
      // Wrangler names the bundle after the entry file.
      const name = entry ? basename(entry).replace(/\.[cm]?[jt]s$/, ".js") : "index.js";
      return join(outdir, name);
    })();
    builds.set(key, build);
  }
  return build;
}
