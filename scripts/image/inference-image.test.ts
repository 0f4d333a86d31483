/**
 * The inference image as it ships, without a container engine: every stage of
 * `inference/Dockerfile` is assembled from its own COPY and RUN lines (the build context limited by
 * its ignore file), then the final stage's CMD is started from that folder alone with production
 * settings, and must get ready and detect. Part of `npm test`.
 */

import { afterAll, expect, test } from "bun:test";
import { chmod, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { errorMessage } from "@common/logger";
import { DetectResponseSchema } from "@inference/http/routes/detect";
import sharp from "sharp";
import { freePort } from "../local-stack/ports";
import { repoRoot } from "../local-stack/settings";
import { readBody } from "../testing/responses";
import { runCommand } from "../testing/run-command";
import { assembleStages, contextIncludes, parseDockerfile } from "./dockerfile";

const IMAGE_TIMEOUT_MS = 600_000;
const root = await mkdtemp(join(tmpdir(), "defects-image-"));
await chmod(root, 0o755);
let service: ReturnType<typeof Bun.spawn> | undefined;

afterAll(async () => {
  service?.kill("SIGKILL");
  await rm(root, { recursive: true, force: true });
});

function run(command: string, cwd: string, env: Record<string, string>): Promise<void> {
  // The base images provide node, npm and bun; here they come from this machine.
  const path = `${dirname(process.execPath)}:${process.env.PATH}`;
  return runCommand("sh", ["-c", command], { cwd, env: { ...process.env, ...env, PATH: path } });
}

async function until(what: string, probe: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await probe().catch(() => false)) return;
    await Bun.sleep(250);
  }
  throw new Error(`${what} not within ${timeoutMs / 1000} s`);
}

test(
  "the image's file set starts with production settings, gets ready and detects",
  async () => {
    const stages = parseDockerfile(await readFile(join(repoRoot, "inference/Dockerfile"), "utf8"));
    const image = await assembleStages({
      stages,
      context: repoRoot,
      inContext: contextIncludes(await readFile(join(repoRoot, "inference/Dockerfile.dockerignore"), "utf8")),
      root,
      run,
    });
    // Nothing of the source tree came along: the service runs from its bundle alone.
    expect(await Bun.file(join(image.dir, "inference/src/main.ts")).exists()).toBe(false);
    expect(await Bun.file(join(image.dir, "common/logger.ts")).exists()).toBe(false);
    expect(image.cmd[0]).toBe("bun");

    const port = await freePort();
    const token = "image-test-api-token";
    let output = "";
    service = Bun.spawn([process.execPath, ...image.cmd.slice(1)], {
      cwd: image.dir,
      env: {
        PATH: process.env.PATH,
        ...image.env,
        INFERENCE_HOST: "127.0.0.1",
        INFERENCE_PORT: String(port),
        INFERENCE_API_TOKEN: token,
      },
      stdout: "pipe",
      stderr: "pipe",
    });
    for (const stream of [service.stdout, service.stderr] as ReadableStream<Uint8Array>[]) {
      void (async () => {
        for await (const chunk of stream) output += new TextDecoder().decode(chunk);
      })();
    }
    const base = `http://127.0.0.1:${port}`;
    try {
      await until("ready", async () => (await fetch(`${base}/ready`)).status === 200, 120_000);
    } catch (error) {
      throw new Error(`${errorMessage(error)}; service output:\n${output.slice(-4000)}`);
    }

    const film = await sharp({
      create: { width: 320, height: 240, channels: 3, background: { r: 90, g: 90, b: 90 } },
    })
      .png()
      .toBuffer();
    const response = await fetch(`${base}/v1/detect`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "image/png" },
      body: film,
    });
    const body = await readBody(response, DetectResponseSchema);
    expect(response.status).toBe(200);
    expect(body.model.name).toBe("weld-defects");
    expect(body.model.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(body.image).toEqual({ width: 320, height: 240 });
    expect(Array.isArray(body.detections)).toBe(true);

    const unauthorised = await fetch(`${base}/v1/detect`, { method: "POST", body: film });
    expect(unauthorised.status).toBe(401);
  },
  IMAGE_TIMEOUT_MS,
);
