import { spawn } from "node:child_process";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { repoRoot } from "../local-stack/settings";

let building: Promise<string> | undefined;

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
 * The Worker exactly as `wrangler deploy` would upload it (wrangler's own bundling), built once
 * per test run. Returns the path of the entry module.
 */
export function workerBundle(): Promise<string> {
  building ??= (async () => {
    const outdir = await mkdtemp(join(tmpdir(), "defects-worker-"));
    await run(join(repoRoot, "node_modules/.bin/wrangler"), ["deploy", "--dry-run", `--outdir=${outdir}`]);
    return join(outdir, "index.js");
  })();
  return building;
}
