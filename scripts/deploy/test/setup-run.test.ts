import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { JwtKeySetSchema } from "@edge/auth/access-tokens";
import { readWranglerConfig } from "../../local-stack/wrangler-config";
import { setupSteps } from "../setup-plan";
import { type CommandResult, type Exec, runSetup } from "../setup-run";
import { environment } from "../wrangler-environments";
import { validSecrets } from "./fixtures";

/**
 * A stand-in of the account as wrangler shows it (exit codes and the messages setup reads), so
 * the idempotency logic runs without one. Records every command it was given.
 */
function fakeAccount(initial: {
  buckets?: string[];
  queues?: string[];
  pullConsumer?: boolean;
  secrets?: string[];
}) {
  const buckets = new Set(initial.buckets ?? []);
  const queues = new Set(initial.queues ?? []);
  const consumers = new Map<string, string>(
    initial.pullConsumer
      ? [
          ["detect-staging", "http_pull"],
          ["train-staging", "http_pull"],
        ]
      : [],
  );
  const secrets = new Set(initial.secrets ?? []);
  const commands: string[][] = [];
  const uploads: Array<Record<string, string>> = [];
  const ok = (output = ""): CommandResult => ({ code: 0, output });
  const exec: Exec = async (argv) => {
    commands.push(argv);
    const [, group, a, b, c] = argv;
    if (group === "r2" && b === "info")
      return buckets.has(argv[4] ?? "")
        ? ok("name: x")
        : { code: 1, output: "The specified bucket does not exist. [code: 10006]" };
    if (group === "r2" && b === "create") {
      buckets.add(argv[4] ?? "");
      return ok();
    }
    if (group === "queues" && a === "info") {
      const name = b ?? "";
      if (!queues.has(name))
        return {
          code: 1,
          output: `Queue "${name}" does not exist. To create it, run: wrangler queues create ${name}`,
        };
      const consumer = consumers.get(name);
      if (!consumer) return ok(`Queue Name: ${name}\nNumber of Consumers: 0\n`);
      return ok(
        `Queue Name: ${name}\nNumber of Consumers: 1\nConsumers: ${consumer === "http_pull" ? "HTTP Pull Consumer." : `worker:${consumer}`}`,
      );
    }
    if (group === "queues" && a === "create") {
      queues.add(b ?? "");
      return ok();
    }
    if (group === "queues" && a === "consumer" && b === "http" && c === "add") {
      consumers.set(argv[5] ?? "", "http_pull");
      return ok();
    }
    if (group === "secret" && a === "list")
      return ok(`${JSON.stringify([...secrets].map((name) => ({ name, type: "secret_text" })))}`);
    if (group === "secret" && a === "bulk") {
      const file = b ?? "";
      const values = JSON.parse(readFileSync(file, "utf8")) as Record<string, string>;
      uploads.push(values);
      for (const name of Object.keys(values)) secrets.add(name);
      return ok();
    }
    return { code: 1, output: `unexpected command ${argv.join(" ")}` };
  };
  return { exec, commands, uploads, buckets, queues, consumers, secrets };
}

const staging = async () => environment(await readWranglerConfig(), "staging");
/** Every command that is not a read-only check. */
const creates = (commands: string[][]) =>
  commands.filter((argv) => !argv.includes("info") && !(argv[1] === "secret" && argv[2] === "list"));

describe("deploy:setup against an account", () => {
  test("a fresh account: everything is created, then a second run creates nothing", async () => {
    const env = await staging();
    const account = fakeAccount({});
    const report: string[] = [];
    await runSetup(setupSteps(env, Object.keys(validSecrets())), validSecrets(), account.exec, (line) =>
      report.push(line),
    );

    expect([...account.buckets]).toEqual(["defect-images-staging"]);
    // Every queue of [env.staging], dead-letter queues included.
    expect([...account.queues].sort()).toEqual([...env.queues].sort());
    expect(env.queues).toEqual(
      expect.arrayContaining([
        "detect-staging",
        "detect-dlq-staging",
        "webhooks-staging",
        "webhooks-dlq-staging",
      ]),
    );
    expect(account.consumers.get("detect-staging")).toBe("http_pull");
    expect(account.consumers.get("train-staging")).toBe("http_pull");
    // The bucket, each queue, the pull consumers of detect and train.
    const resources = 1 + env.queues.length + 2;
    expect(report.filter((line) => line.startsWith("created: "))).toHaveLength(resources);
    // The upload carried the file's values and a freshly generated signing key.
    expect(account.uploads).toHaveLength(1);
    const [upload] = account.uploads;
    expect(upload).toMatchObject(validSecrets());
    expect(JwtKeySetSchema.safeParse(JSON.parse(upload?.JWT_KEYS ?? "{}")).success).toBe(true);
    expect(report.at(-1)).toContain("JWT_KEYS newly generated");
    // The temporary file is gone after the upload.
    const bulk = account.commands.find((argv) => argv[2] === "bulk");
    expect(bulk?.slice(-2)).toEqual(["--env", "staging"]);
    expect(existsSync(bulk?.[3] ?? "")).toBe(false);

    const again: string[] = [];
    const before = account.commands.length;
    await runSetup(setupSteps(env, []), {}, account.exec, (line) => again.push(line));
    const second = account.commands.slice(before);
    expect(creates(second)).toEqual([]);
    expect(again.filter((line) => line.startsWith("exists: "))).toHaveLength(resources);
    expect(again.at(-1)).toBe(
      "secrets: nothing to upload (no secrets file; the Worker already has JWT_KEYS)",
    );
  });

  test("only what is missing is created; an existing signing key is never replaced", async () => {
    const env = await staging();
    const account = fakeAccount({
      buckets: ["defect-images-staging"],
      queues: env.queues.filter((name) => !name.startsWith("webhooks")),
      pullConsumer: true,
      secrets: ["JWT_KEYS", "DATABASE_URL"],
    });
    await runSetup(setupSteps(env, Object.keys(validSecrets())), validSecrets(), account.exec, () => {});
    expect(creates(account.commands).map((argv) => argv.join(" "))).toEqual([
      "wrangler queues create webhooks-staging",
      "wrangler queues create webhooks-dlq-staging",
      expect.stringMatching(/^wrangler secret bulk \S+ --env staging$/),
    ]);
    expect(Object.keys(account.uploads[0] ?? {})).not.toContain("JWT_KEYS");
  });

  test("a queue already consumed by a Worker is not given a second consumer", async () => {
    const env = await staging();
    const account = fakeAccount({ queues: env.queues, buckets: env.buckets });
    account.consumers.set("detect-staging", "some-worker");
    await expect(runSetup(setupSteps(env, []), {}, account.exec, () => {})).rejects.toThrow(
      "detect-staging has a consumer that is not an HTTP pull consumer",
    );
    expect(creates(account.commands)).toEqual([]);
  });

  test("an error other than 'missing' (no credentials) stops the run with wrangler's words", async () => {
    const env = await staging();
    const exec: Exec = async () => ({
      code: 1,
      output: "In a non-interactive environment, it's necessary to set a CLOUDFLARE_API_TOKEN",
    });
    await expect(runSetup(setupSteps(env, []), {}, exec, () => {})).rejects.toThrow(
      /wrangler r2 bucket info defect-images-staging failed \(exit 1\):\nIn a non-interactive environment/,
    );
  });
});
