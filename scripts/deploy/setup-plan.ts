import { DETECT_PULL_CONSUMER } from "@common/contracts/detect-pull-consumer";
import { TRAIN_PULL_CONSUMER } from "@common/contracts/train-pull-consumer";
import type { Environment } from "./wrangler-environments";

/** A wrangler command line, program name first. */
export type Argv = string[];

/**
 * One thing an environment needs. `check` finds out whether it is there; `create` makes it,
 * and runs only when the check found it missing, so running the whole plan twice changes nothing.
 */
export type Step =
  | { kind: "bucket"; name: string; check: Argv; create: Argv }
  | { kind: "queue"; name: string; check: Argv; create: Argv }
  | { kind: "pull-consumer"; name: string; check: Argv; create: Argv }
  | {
      kind: "secrets";
      /** Names taken from the secrets file (values never leave it except into wrangler). */
      names: string[];
      /** Generate `JWT_KEYS` here when the Worker has none (the file did not bring one). */
      generateJwtKeysIfMissing: boolean;
      check: Argv;
      /** `SECRETS_FILE_ARG` stands for a temporary file written just before the upload. */
      create: Argv;
    };

/** Placeholder, in `create` of the secrets step, for the temporary file wrangler uploads. */
export const SECRETS_FILE_ARG = "<temporary secrets file>";

/** The queues pulled over HTTP, each with its consumer's settings from its shared contract. */
const PULLED = {
  detect: { queue: (env: Environment) => env.detectQueue, settings: DETECT_PULL_CONSUMER },
  train: { queue: (env: Environment) => env.trainQueue, settings: TRAIN_PULL_CONSUMER },
} as const;
export type PulledQueue = keyof typeof PULLED;

/** The command that adds the HTTP pull consumer of `detect` (or `train`), its settings from the shared contract. */
export function pullConsumerCommand(env: Environment, pulled: PulledQueue = "detect"): Argv {
  const { settings } = PULLED[pulled];
  const queue = PULLED[pulled].queue(env);
  const deadLetterQueue = `${settings.deadLetterQueue}${env.queueSuffix}`;
  if (!env.queues.includes(deadLetterQueue)) {
    throw new Error(`[env.${env.name}] has no queue "${deadLetterQueue}" for the dead letters of ${queue}`);
  }
  return [
    "wrangler",
    "queues",
    "consumer",
    "http",
    "add",
    queue,
    "--batch-size",
    String(settings.batchSize),
    "--message-retries",
    String(settings.maxRetries),
    "--visibility-timeout-secs",
    String(settings.visibilityTimeoutSeconds),
    "--dead-letter-queue",
    deadLetterQueue,
  ];
}

/**
 * Everything `npm run deploy:setup` does for an environment, in order: the bucket, every queue
 * (dead-letter queues included), the pull consumers of `detect` and `train`, then the secrets.
 */
export function setupSteps(env: Environment, secretNames: string[]): Step[] {
  const buckets = env.buckets.map(
    (name): Step => ({
      kind: "bucket",
      name,
      check: ["wrangler", "r2", "bucket", "info", name],
      create: ["wrangler", "r2", "bucket", "create", name],
    }),
  );
  const queues = env.queues.map(
    (name): Step => ({
      kind: "queue",
      name,
      check: ["wrangler", "queues", "info", name],
      create: ["wrangler", "queues", "create", name],
    }),
  );
  const generateJwtKeysIfMissing = !secretNames.includes("JWT_KEYS");
  return [
    ...buckets,
    ...queues,
    ...(Object.keys(PULLED) as PulledQueue[]).map((pulled): Step => {
      const name = PULLED[pulled].queue(env);
      return {
        kind: "pull-consumer",
        name,
        check: ["wrangler", "queues", "info", name],
        create: pullConsumerCommand(env, pulled),
      };
    }),
    {
      kind: "secrets",
      names: generateJwtKeysIfMissing ? [...secretNames, "JWT_KEYS"] : secretNames,
      generateJwtKeysIfMissing,
      check: ["wrangler", "secret", "list", "--env", env.name, "--format", "json"],
      create: ["wrangler", "secret", "bulk", SECRETS_FILE_ARG, "--env", env.name],
    },
  ];
}

const title: Record<Step["kind"], string> = {
  bucket: "R2 bucket",
  queue: "queue",
  "pull-consumer": "HTTP pull consumer of",
  secrets: "Worker secrets",
};

/** What a step is about, in words: `R2 bucket defect-images-staging`. */
export const stepTitle = (step: Exclude<Step, { kind: "secrets" }>) => `${title[step.kind]} ${step.name}`;

/** Quotes an argument only when a shell would need it. */
const shellWord = (arg: string) =>
  arg === SECRETS_FILE_ARG || /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", "'\\''")}'`;
export const commandLine = (argv: Argv) => argv.map(shellWord).join(" ");

/** The plan as `--plan` prints it: every check and the command it would run when the check finds nothing. */
export function describePlan(env: Environment, steps: Step[]): string {
  const lines = [
    `Plan for environment "${env.name}" (Worker ${env.workerName}). Nothing is run now. With an`,
    "account, each step first runs its check and runs its create command only if the check finds it missing;",
    "secrets are uploaded every time (the same file gives the same values).",
    "",
  ];
  for (const step of steps) {
    if (step.kind === "secrets") {
      lines.push(`${title.secrets}: ${step.names.join(", ")}`);
      if (step.generateJwtKeysIfMissing) {
        lines.push(
          `  check   ${commandLine(step.check)}   (JWT_KEYS: a new ES256 key is generated here if the Worker has none)`,
        );
      }
      lines.push(`  upload  ${commandLine(step.create)}`);
    } else {
      lines.push(stepTitle(step));
      lines.push(`  check   ${commandLine(step.check)}`);
      lines.push(`  create  ${commandLine(step.create)}`);
    }
  }
  return lines.join("\n");
}
