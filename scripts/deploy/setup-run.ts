import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateJwtKeySet } from "../local-stack/jwt-keys";
import type { Secrets } from "./secrets-file";
import { type Argv, commandLine, SECRETS_FILE_ARG, type Step, stepTitle } from "./setup-plan";

export type CommandResult = { code: number; output: string };
/** Runs a wrangler command line; injected so the logic runs in tests without an account. */
export type Exec = (argv: Argv) => Promise<CommandResult>;

/** Runs `wrangler` from the project's dependencies (npm scripts put them on PATH) and captures it. */
export const execWrangler: Exec = async (argv) => {
  const child = Bun.spawn(argv, {
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
    // Non-interactive: wrangler takes its documented fallbacks instead of prompting.
    env: { ...process.env, CI: process.env.CI ?? "true", WRANGLER_SEND_METRICS: "false" },
  });
  const [stdout, stderr, code] = await Promise.all([
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
    child.exited,
  ]);
  return { code, output: `${stdout}${stderr}` };
};

/** Wrangler's and the API's words for "no such bucket / queue / Worker". */
const MISSING = /does not exist|not found|could not be found|\b(10006|10007|11000)\b/i;

class CommandFailed extends Error {
  constructor(argv: Argv, result: CommandResult) {
    super(`${commandLine(argv)} failed (exit ${result.code}):\n${result.output.trim()}`);
  }
}

async function exists(exec: Exec, argv: Argv): Promise<boolean> {
  const result = await exec(argv);
  if (result.code === 0) return true;
  if (MISSING.test(result.output)) return false;
  throw new CommandFailed(argv, result);
}

/** Whether `detect` (`train`) already has its HTTP pull consumer; another kind of consumer is an error. */
async function hasPullConsumer(exec: Exec, step: Extract<Step, { kind: "pull-consumer" }>): Promise<boolean> {
  const result = await exec(step.check);
  if (result.code !== 0) throw new CommandFailed(step.check, result);
  if (/HTTP Pull Consumer/i.test(result.output)) return true;
  if (/Number of Consumers:\s*0\b/.test(result.output)) return false;
  throw new Error(
    `${step.name} has a consumer that is not an HTTP pull consumer; a queue has one consumer, and a service (inference, the trainer) pulls this one. Remove it (wrangler queues consumer remove) and run again.`,
  );
}

/** Secret names the Worker has; none when the Worker does not exist yet. */
async function workerSecretNames(exec: Exec, argv: Argv): Promise<string[]> {
  const result = await exec(argv);
  if (result.code !== 0) {
    if (MISSING.test(result.output)) return [];
    throw new CommandFailed(argv, result);
  }
  // Wrangler may print a banner before the JSON.
  const list: unknown = JSON.parse(result.output.slice(result.output.indexOf("[")));
  return Array.isArray(list) ? list.map((entry) => String((entry as { name?: unknown }).name)) : [];
}

async function uploadSecrets(exec: Exec, argv: Argv, values: Record<string, string>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "deploy-secrets-"));
  const file = join(dir, "secrets.json");
  try {
    await writeFile(file, JSON.stringify(values), { mode: 0o600 });
    const command = argv.map((arg) => (arg === SECRETS_FILE_ARG ? file : arg));
    const result = await exec(command);
    if (result.code !== 0) throw new CommandFailed(argv, result);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Runs the plan against the account: each step's check, then its create only when something is
 * missing. Calls `report` with one line per step saying what it found or did.
 */
export async function runSetup(
  steps: Step[],
  secrets: Secrets,
  exec: Exec,
  report: (line: string) => void,
): Promise<void> {
  for (const step of steps) {
    if (step.kind === "secrets") {
      const values: Record<string, string> = Object.fromEntries(
        Object.entries(secrets).filter((entry): entry is [string, string] => entry[1] !== undefined),
      );
      let generated = false;
      if (
        step.generateJwtKeysIfMissing &&
        !(await workerSecretNames(exec, step.check)).includes("JWT_KEYS")
      ) {
        // Made here, uploaded straight to the Worker, never written anywhere else.
        values.JWT_KEYS = await generateJwtKeySet();
        generated = true;
      }
      const names = Object.keys(values);
      if (names.length === 0) {
        report("secrets: nothing to upload (no secrets file; the Worker already has JWT_KEYS)");
        continue;
      }
      await uploadSecrets(exec, step.create, values);
      report(`uploaded secrets: ${names.join(", ")}${generated ? " (JWT_KEYS newly generated, ES256)" : ""}`);
      continue;
    }
    const present =
      step.kind === "pull-consumer" ? await hasPullConsumer(exec, step) : await exists(exec, step.check);
    const what = stepTitle(step);
    if (present) {
      report(`exists: ${what}`);
      continue;
    }
    const result = await exec(step.create);
    if (result.code !== 0) throw new CommandFailed(step.create, result);
    report(`created: ${what}  (${commandLine(step.create)})`);
  }
}
