import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { DETECT_PULL_CONSUMER } from "@common/contracts/detect-pull-consumer";
import { TRAIN_PULL_CONSUMER } from "@common/contracts/train-pull-consumer";
import { repoRoot } from "../../local-stack/settings";
import { readWranglerConfig } from "../../local-stack/wrangler-config";
import { environment } from "../wrangler-environments";
import { generateJwtKeySet, tempFile, validSecrets } from "./fixtures";

// `npm run deploy:setup -- --plan` as a user runs it: no account, no network, nothing created.

async function setup(...args: string[]) {
  const child = Bun.spawn([process.execPath, join(repoRoot, "scripts/deploy/setup.ts"), ...args], {
    cwd: repoRoot,
    stdout: "pipe",
    stderr: "pipe",
    // No credentials: plan mode must not need any.
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "" },
  });
  const [stdout, stderr, code] = await Promise.all([
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
    child.exited,
  ]);
  return { stdout, stderr, code };
}

describe("deploy:setup --plan", () => {
  test("staging: the bucket, every queue, the pull consumer and the secrets, with the environment's names", async () => {
    const secrets = validSecrets();
    const file = await tempFile("staging.json", JSON.stringify(secrets));
    const { stdout, stderr, code } = await setup("--env", "staging", "--plan", "--secrets-file", file);
    expect(stderr).toBe("");
    expect(code).toBe(0);
    const lines = stdout.split("\n").map((line) => line.trim());
    expect(lines).toContain("create  wrangler r2 bucket create defect-images-staging");
    // Every queue [env.staging] names, dead-letter queues included, and no other.
    const { queues } = environment(await readWranglerConfig(), "staging");
    const planned = lines.filter((line) => line.startsWith("create  wrangler queues create "));
    expect(planned.map((line) => line.split(" ").at(-1)).sort()).toEqual([...queues].sort());
    for (const queue of [
      "detect-staging",
      "detect-dlq-staging",
      "webhooks-staging",
      "webhooks-dlq-staging",
    ]) {
      expect(queues).toContain(queue);
      expect(lines).toContain(`check   wrangler queues info ${queue}`);
    }
    expect(lines).toContain(
      `create  wrangler queues consumer http add detect-staging --batch-size ${DETECT_PULL_CONSUMER.batchSize} ` +
        `--message-retries ${DETECT_PULL_CONSUMER.maxRetries} ` +
        `--visibility-timeout-secs ${DETECT_PULL_CONSUMER.visibilityTimeoutSeconds} --dead-letter-queue detect-dlq-staging`,
    );
    expect(lines).toContain(
      `create  wrangler queues consumer http add train-staging --batch-size ${TRAIN_PULL_CONSUMER.batchSize} ` +
        `--message-retries ${TRAIN_PULL_CONSUMER.maxRetries} ` +
        `--visibility-timeout-secs ${TRAIN_PULL_CONSUMER.visibilityTimeoutSeconds} --dead-letter-queue train-dlq-staging`,
    );
    expect(lines).toContain("upload  wrangler secret bulk <temporary secrets file> --env staging");
    expect(lines).toContain(
      "Worker secrets: DATABASE_URL, INFERENCE_EDGE_URL, INFERENCE_CALLBACK_TOKEN, OPERATIONS_TOKEN, IMAGE_URL_SIGNING_KEY, JWT_KEYS",
    );
    expect(stdout).toContain("wrangler secret list --env staging --format json");
    // Production names never leak into the staging plan, and no value is ever printed.
    expect(lines).not.toContain("create  wrangler queues create detect-production");
    expect(lines).not.toContain("create  wrangler r2 bucket create defect-images-production");
    for (const value of Object.values(secrets)) expect(stdout).not.toContain(value);
  });

  test("production: its own suffixed names, never the top level's", async () => {
    const { stdout, code } = await setup("--env", "production", "--plan");
    expect(code).toBe(0);
    expect(stdout).toContain("wrangler r2 bucket create defect-images-production\n");
    expect(stdout).toContain("--dead-letter-queue detect-dlq-production\n");
    expect(stdout).not.toContain("wrangler r2 bucket create defect-images\n");
    expect(stdout).toContain("wrangler secret bulk <temporary secrets file> --env production");
    // Without a file it says which secrets the Worker still needs.
    expect(stdout).toContain("the Worker also needs DATABASE_URL, INFERENCE_EDGE_URL");
  });

  test("a file that brings JWT_KEYS: no key is generated", async () => {
    const file = await tempFile(
      "keys.json",
      JSON.stringify({ ...validSecrets(), JWT_KEYS: await generateJwtKeySet() }),
    );
    const { stdout, code } = await setup("--env", "staging", "--plan", "--secrets-file", file);
    expect(code).toBe(0);
    expect(stdout).not.toContain("a new ES256 key is generated");
    expect(stdout).not.toContain("wrangler secret list");
  });

  test("a .env secrets file is read like wrangler reads it", async () => {
    const env = Object.entries(validSecrets())
      .map(([name, value]) => `${name}=${value}`)
      .join("\n");
    const { code, stdout } = await setup(
      "--env",
      "staging",
      "--plan",
      "--secrets-file",
      await tempFile(".env", env),
    );
    expect(code).toBe(0);
    expect(stdout).toContain("Worker secrets: DATABASE_URL,");
  });
});

describe("deploy:setup refuses", () => {
  test("an environment wrangler.toml does not define", async () => {
    const { code, stderr, stdout } = await setup("--env", "qa", "--plan");
    expect(code).toBe(1);
    expect(stderr).toContain('wrangler.toml defines no environment "qa" (known: staging, production)');
    expect(stdout).toBe("");
  });

  test("no --env, or an unknown option", async () => {
    expect((await setup("--plan")).code).toBe(2);
    const unknown = await setup("--env", "staging", "--plan", "--force");
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain("--force");
  });

  test("a secrets file with names the Worker does not take, without echoing values", async () => {
    const file = await tempFile(
      "extra.json",
      JSON.stringify({
        ...validSecrets(),
        DATABASE_PASSWORD: "hunter2-secret-value",
        INFERENCE_API_TOKEN: "x".repeat(20),
      }),
    );
    const { code, stderr, stdout } = await setup("--env", "staging", "--plan", "--secrets-file", file);
    expect(code).toBe(1);
    expect(stderr).toContain("unknown name(s) DATABASE_PASSWORD, INFERENCE_API_TOKEN");
    expect(stderr).not.toContain("hunter2-secret-value");
    expect(stdout).toBe("");
  });

  test("a secrets file missing required secrets names each of them", async () => {
    const { DATABASE_URL: _db, OPERATIONS_TOKEN: _ops, ...partial } = validSecrets();
    const file = await tempFile("partial.json", JSON.stringify(partial));
    const { code, stderr } = await setup("--env", "staging", "--plan", "--secrets-file", file);
    expect(code).toBe(1);
    expect(stderr).toContain("missing required DATABASE_URL, OPERATIONS_TOKEN");
  });

  test("a missing secrets file", async () => {
    const { code, stderr } = await setup(
      "--env",
      "staging",
      "--plan",
      "--secrets-file",
      "/nonexistent/secrets.json",
    );
    expect(code).toBe(1);
    expect(stderr).toContain("secrets file /nonexistent/secrets.json not found");
  });
});
