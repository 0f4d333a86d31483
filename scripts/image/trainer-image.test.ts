/**
 * The trainer image as it ships, without a container engine: `inference/training/Dockerfile` is
 * assembled from its own COPY lines (the build context limited by its ignore file), its one RUN
 * line is checked to install the Debian packages the local stack and CI train with, and the CMD
 * is started from that folder alone with Debian's `python3` against a local Queues API and a
 * stand-in edge: it must pull a `train` message, claim it with its callback token, acknowledge
 * it, and stop cleanly on SIGTERM. With Debian's torch present, the image's trainer also loads
 * and reads the shipped base model. Part of `npm test`.
 */

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, realpathSync } from "node:fs";
import { chmod, mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { TrainClaimRequestSchema } from "@common/contracts/train-claim";
import type { TrainMessage } from "@common/contracts/train-message";
import { TRAIN_PULL_CONSUMER } from "@common/contracts/train-pull-consumer";
import { freePort } from "../local-stack/ports";
import { TRAINER_APT_PACKAGES, trainerPythonProblem } from "../local-stack/python-trainer";
import { type LocalQueuesApi, startLocalQueuesApi } from "../local-stack/queues-api";
import { repoRoot } from "../local-stack/settings";
import { assembleStages, contextIncludes, parseDockerfile, type Stage } from "./dockerfile";

const python = process.env.PYTHON ?? "/usr/bin/python3";
// The service itself needs only yaml beside the standard library; train.py needs the rest.
const pythonMissing =
  !existsSync(python) || Bun.spawnSync([python, "-c", "import yaml"], { stderr: "ignore" }).exitCode !== 0;
if (pythonMissing) {
  console.warn(`trainer image: starting the service skipped: ${python} cannot import yaml (python3-yaml)`);
}
// Importing torch takes seconds: asked once, read by the test that needs it.
const torchProblem = pythonMissing ? "no python" : await trainerPythonProblem(python);
if (!pythonMissing && torchProblem !== null) {
  console.warn(
    `trainer image: base-model check skipped: ${torchProblem}; apt-get install ${TRAINER_APT_PACKAGES}`,
  );
}

const root = await mkdtemp(join(tmpdir(), "defects-trainer-image-"));
await chmod(root, 0o755);
let image: Awaited<ReturnType<typeof assembleStages>>;
let stages: Stage[];
/** The RUN lines the image build runs, recorded instead of run (they install Debian packages). */
const runLines: string[] = [];

beforeAll(async () => {
  stages = parseDockerfile(await readFile(join(repoRoot, "inference/training/Dockerfile"), "utf8"));
  image = await assembleStages({
    stages,
    context: repoRoot,
    inContext: contextIncludes(
      await readFile(join(repoRoot, "inference/training/Dockerfile.dockerignore"), "utf8"),
    ),
    root,
    run: async (command) => {
      runLines.push(command);
    },
  });
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => relative(dir, join(e.parentPath, e.name)));
}

async function until(what: string, probe: () => boolean, timeoutMs: number, output: () => string) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (probe()) return;
    await Bun.sleep(100);
  }
  throw new Error(`${what} not within ${timeoutMs / 1000} s; trainer output:\n${output().slice(-4000)}`);
}

describe("the trainer image's build", () => {
  test("one stage on Debian, installing exactly the packages the local stack and CI train with", () => {
    expect(stages).toHaveLength(1);
    expect(stages[0]?.base).toStartWith("debian:");
    expect(runLines).toHaveLength(1);
    const install = runLines[0]?.match(/apt-get install -y --no-install-recommends python3 ([^&]+?) &&/);
    expect(install?.[1]?.split(" ").sort()).toEqual(TRAINER_APT_PACKAGES.split(" ").sort());
    expect(runLines[0]).not.toContain("pip");
  });

  test("runs as a numeric non-root user, stops on SIGTERM, starts the service with python3", () => {
    const instructions = stages[0]?.instructions ?? [];
    const user = instructions.filter((i) => i.keyword === "USER").at(-1)?.args ?? "";
    expect(Number(user.split(":")[0])).toBeGreaterThan(0);
    expect(instructions.find((i) => i.keyword === "STOPSIGNAL")?.args).toBe("SIGTERM");
    expect(image.cmd).toEqual(["python3", "inference/training/service/main.py"]);
    // The one writable place on Kubernetes is /tmp: the work folder and caches live there.
    expect(image.env.TRAINER_WORK_DIR).toStartWith("/tmp/");
    expect(image.env.XDG_CACHE_HOME).toStartWith("/tmp/");
    expect(image.env.PYTHONDONTWRITEBYTECODE).toBe("1");
  });

  test("holds the service, the trainer and the shipped models, and none of their tests or caches", async () => {
    const files = await filesUnder(image.dir);
    expect(files).toContain("inference/training/service/main.py");
    expect(files).toContain("inference/training/yolo/train.py");
    expect(files).toContain("inference/models/weld-defects.onnx");
    for (const file of files) {
      expect(file).toMatch(/^inference\/(training\/(service|yolo)|models)\//);
      expect(file).not.toMatch(/__pycache__|\.pyc$|(^|\/)test_[^/]*\.py$|\.test\.ts$/);
    }
    expect(contextIncludes("*\n!a/**\n**/__pycache__\n")("a/b/__pycache__/c.pyc")).toBe(false);
  });
});

describe.skipIf(pythonMissing)("the trainer image's file set, started", () => {
  let queues: LocalQueuesApi | undefined;
  let edge: ReturnType<typeof Bun.serve> | undefined;
  let service: ReturnType<typeof Bun.spawn> | undefined;
  afterAll(async () => {
    service?.kill("SIGKILL");
    await edge?.stop(true);
    await queues?.stop();
  });

  test("pulls a train message, claims it with its token, acks it, and exits 0 on SIGTERM", async () => {
    const queueToken = crypto.randomUUID();
    const callbackToken = "trainer-image-callback-token";
    queues = startLocalQueuesApi({
      port: await freePort(),
      accountId: "local",
      apiToken: queueToken,
      queues: { train: { maxRetries: TRAIN_PULL_CONSUMER.maxRetries } },
    });
    const claims: Array<{ path: string; authorization: string | null; body: unknown }> = [];
    edge = Bun.serve({
      port: await freePort(),
      hostname: "127.0.0.1",
      async fetch(request) {
        const path = new URL(request.url).pathname;
        claims.push({
          path,
          authorization: request.headers.get("authorization"),
          body: await request.json(),
        });
        // A run that finished meanwhile: the trainer acknowledges the message and trains nothing.
        return Response.json({ outcome: "finished" });
      },
    });
    const trainingId = crypto.randomUUID();
    const message: TrainMessage = {
      version: 1,
      trainingId,
      traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
      enqueuedAt: new Date().toISOString(),
    };
    queues.send("train", [{ body: message }]);

    let output = "";
    const workDir = join(root, "work");
    service = Bun.spawn([python, ...image.cmd.slice(1)], {
      cwd: image.dir,
      env: {
        PATH: process.env.PATH,
        ...image.env,
        TRAINER_WORK_DIR: workDir,
        TRAINER_EDGE_URL: `http://127.0.0.1:${edge.port}`,
        TRAINER_CALLBACK_TOKEN: callbackToken,
        TRAINER_CF_API_BASE: queues.apiBase,
        TRAINER_CF_ACCOUNT_ID: "local",
        TRAINER_CF_QUEUE_ID: "train",
        TRAINER_CF_API_TOKEN: queueToken,
        TRAINER_PULL_IDLE_SECONDS: "0.2",
      },
      stdout: "pipe",
      stderr: "pipe",
    });
    for (const stream of [service.stdout, service.stderr] as ReadableStream<Uint8Array>[]) {
      void (async () => {
        for await (const chunk of stream) output += new TextDecoder().decode(chunk);
      })();
    }
    const api = queues;
    await until(
      "the claim and the ack",
      () => api.stats("train").acked === 1,
      30_000,
      () => output,
    );

    expect(claims).toHaveLength(1);
    expect(claims[0]?.path).toBe(`/internal/v1/trainings/${trainingId}/claim`);
    expect(claims[0]?.authorization).toBe(`Bearer ${callbackToken}`);
    expect(TrainClaimRequestSchema.parse(claims[0]?.body)).toEqual({ version: 1, delivery: 1 });
    expect(queues.stats("train")).toMatchObject({ backlog: 0, leased: 0, deadLettered: 0 });
    // The start-up line prints every setting with the secrets masked; the models folder is the
    // image's own (the fine-tuning bases a run names).
    expect(output).not.toContain(callbackToken);
    expect(output).not.toContain(queueToken);
    expect(output).toContain(join(realpathSync(image.dir), "inference/models"));

    service.kill("SIGTERM");
    const exited = await Promise.race([service.exited, Bun.sleep(15_000).then(() => "still running")]);
    expect(exited, output).toBe(0);
    expect(output).toContain('"msg": "trainer stopped"');
  }, 60_000);

  test.skipIf(torchProblem !== null)(
    "the image's trainer runs with Debian's torch and reads the shipped base model's input size",
    () => {
      const help = Bun.spawnSync([python, "inference/training/yolo/train.py", "--help"], { cwd: image.dir });
      expect(help.exitCode, help.stderr.toString()).toBe(0);
      expect(help.stdout.toString()).toContain("--base");
      const imgsz = Bun.spawnSync(
        [
          python,
          "-c",
          "import sys; sys.path.insert(0, 'inference/training/service'); from runner import base_imgsz; " +
            "from pathlib import Path; print(base_imgsz(Path('inference/models/weld-defects.onnx')))",
        ],
        { cwd: image.dir, env: { PATH: process.env.PATH, ...image.env } },
      );
      expect(imgsz.exitCode, imgsz.stderr.toString()).toBe(0);
      expect(Number(imgsz.stdout.toString().trim())).toBe(320);
    },
    120_000,
  );
});
