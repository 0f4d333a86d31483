import { copyFile, mkdir } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../..", import.meta.url));

/** Browser bundles served as static assets, copied from installed packages (never a CDN). */
const vendored: Array<{ from: string; to: string }> = [
  {
    from: "@scalar/api-reference/dist/browser/standalone.js",
    to: "edge/public/vendor/scalar-api-reference.js",
  },
];

/** Copies every vendored browser bundle into the static assets folder. */
export async function vendorAssets(): Promise<void> {
  for (const { from, to } of vendored) {
    const target = join(root, to);
    await mkdir(dirname(target), { recursive: true });
    // Read from node_modules directly: the package's export map does not expose its dist files.
    await copyFile(join(root, "node_modules", from), target);
  }
}

if (import.meta.main) await vendorAssets();
