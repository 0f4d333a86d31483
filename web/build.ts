/**
 * Builds the inspector's web app into the Worker's static assets (edge/public/app/): one minified
 * ES module bundle, the chunks it imports on demand (the viewer's film decoders) and one stylesheet,
 * with content hashes in their names, and an index.html that references the bundle and stylesheet. `--watch` rebuilds when web/src changes (used by `npm run dev`).
 */
import { watch } from "node:fs";
import { copyFile, mkdir, rm, writeFile } from "node:fs/promises";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
export const webSource = join(root, "web/src");
/** Where the app is written; git-ignored, served by wrangler's [assets] under /app/. */
export const webOutput = join(root, "edge/public/app");
/** The URL path the app is served under; its client-side routes live below it. */
export const APP_BASE = "/app/";

/**
 * The app's content security policy. Everything is same-origin; blob: carries decoded film pixels
 * and downloads. It travels in the page (a <meta>, for wherever the file is served from) and as
 * a header (`_headers`), which alone can also forbid framing (`frame-ancestors`).
 */
const contentSecurityPolicy = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' blob: data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
].join("; ");

/** The tab's icon (web/src/favicon.svg), copied beside the bundle; `/favicon.ico` redirects to it. */
export const FAVICON = "favicon.svg";

function indexHtml(script: string, stylesheet: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="${contentSecurityPolicy}">
<meta name="referrer" content="no-referrer">
<title>Defect inspector</title>
<link rel="icon" href="${APP_BASE}${FAVICON}" type="image/svg+xml">
<link rel="stylesheet" href="${APP_BASE}${stylesheet}">
<script type="module" src="${APP_BASE}${script}"></script>
</head>
<body>
<div id="root"></div>
<noscript>The defect inspector needs JavaScript.</noscript>
</body>
</html>
`;
}

/**
 * Where wrangler's static assets take their response headers from (the root of `[assets]`'s
 * directory; Miniflare reads it too). Static assets are served before the Worker runs, so its
 * security headers never reach them.
 */
export const assetHeadersFile = join(root, "edge/public/_headers");

/**
 * The headers of every app file, the entry page included: the policy with `frame-ancestors`, no
 * framing for browsers that only know X-Frame-Options, no content sniffing, and `Allow`, which
 * the asset server's own 405 (a POST to /app/) lacks. The deep-link route copies the policy from
 * the entry page's response.
 */
function assetHeaders(): string {
  const rules = [
    "X-Content-Type-Options: nosniff",
    "X-Frame-Options: DENY",
    "Referrer-Policy: no-referrer",
    "Allow: GET, HEAD",
  ];
  const page = [`Content-Security-Policy: ${contentSecurityPolicy}; frame-ancestors 'none'`, ...rules];
  const block = (path: string, lines: string[]) => [path, ...lines.map((line) => `  ${line}`)].join("\n");
  return `# Written by web/build.ts: the web app's response headers (wrangler [assets]).
${block(`${APP_BASE}*`, page)}
${block(APP_BASE.slice(0, -1), rules)}
`;
}

export type WebBuild = { script: string; stylesheet: string; outdir: string };

/** One production build; throws with the bundler's messages when it fails. */
export async function buildWebApp(): Promise<WebBuild> {
  const result = await Bun.build({
    entrypoints: [join(webSource, "main.tsx"), join(webSource, "styles.css")],
    target: "browser",
    format: "esm",
    // The film decoders are imported on demand: split, they stay out of the first load.
    splitting: true,
    minify: true,
    sourcemap: "none",
    naming: "[name]-[hash].[ext]",
    define: { "process.env.NODE_ENV": JSON.stringify("production") },
  });
  if (!result.success) throw new AggregateError(result.logs, "web app build failed");
  // Hashed names change every build, so the old files go before the new ones are written.
  await rm(webOutput, { recursive: true, force: true });
  await mkdir(webOutput, { recursive: true });
  let script = "";
  let stylesheet = "";
  for (const output of result.outputs) {
    const name = basename(output.path);
    await Bun.write(join(webOutput, name), output);
    if (output.kind === "entry-point" && name.endsWith(".js")) script = name;
    if (name.endsWith(".css")) stylesheet = name;
  }
  if (!script || !stylesheet) throw new Error("web app build produced no script or no stylesheet");
  await copyFile(join(webSource, FAVICON), join(webOutput, FAVICON));
  await writeFile(join(webOutput, "index.html"), indexHtml(script, stylesheet));
  await writeFile(assetHeadersFile, assetHeaders());
  return { script, stylesheet, outdir: webOutput };
}

/** Rebuilds on every change under web/src, a burst of saves giving one build. */
export function watchWebApp(log: (line: string) => void): () => void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const watcher = watch(webSource, { recursive: true }, () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      buildWebApp().then(
        () => log("web app rebuilt"),
        (error: unknown) => log(`web app build failed: ${error instanceof Error ? error.message : error}`),
      );
    }, 100);
  });
  return () => {
    clearTimeout(timer);
    watcher.close();
  };
}

if (import.meta.main) {
  const built = await buildWebApp();
  console.log(`web app built: ${built.outdir} (${built.script}, ${built.stylesheet})`);
  if (process.argv.includes("--watch")) watchWebApp(console.log);
}
