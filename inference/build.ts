/**
 * Builds the inference service into a self-contained artefact: `main.js` and the session worker's
 * `session-worker.js`, with every JavaScript dependency bundled in and the native packages
 * (onnxruntime-node, sharp) left to `node_modules`. The container runs exactly this.
 *
 *   bun inference/build.ts [--outdir inference/dist]
 */
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { parseArgs } from "node:util";

/** Packages with native binaries: loaded from node_modules at run time, never bundled. */
export const NATIVE_PACKAGES = ["onnxruntime-node", "sharp"];

export async function buildInference(outdir: string): Promise<string[]> {
  await rm(outdir, { recursive: true, force: true });
  const src = join(import.meta.dir, "src");
  const result = await Bun.build({
    entrypoints: [join(src, "main.ts"), join(src, "model/session-worker.ts")],
    outdir,
    target: "bun",
    naming: "[name].[ext]",
    external: NATIVE_PACKAGES,
    sourcemap: "linked",
  });
  if (!result.success) {
    throw new AggregateError(result.logs, "inference build failed");
  }
  return result.outputs.map((output) => output.path);
}

if (import.meta.main) {
  const { values } = parseArgs({
    options: { outdir: { type: "string", default: join(import.meta.dir, "dist") } },
  });
  const outputs = await buildInference(values.outdir);
  for (const path of outputs) console.log(path);
}
