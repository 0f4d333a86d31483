/**
 * `npm run deploy:setup -- --env <name> [--plan] [--secrets-file <path>]`
 *
 * Creates what the Worker of one wrangler.toml environment needs, and only what is missing: its
 * R2 bucket, its queues and dead-letter queues, the HTTP pull consumer of `detect` (settings from
 * common/contracts/detect-pull-consumer.ts), and its secrets (from the file; `JWT_KEYS` generated
 * here when the Worker has none). `--plan` prints the checks and commands without running any and
 * needs no account. See docs/deploy.md.
 */

import { parseArgs } from "node:util";
import { errorMessage } from "@common/logger";
import { readWranglerConfig } from "../local-stack/wrangler-config";
import { parseSecretsFile, REQUIRED_SECRETS, type Secrets } from "./secrets-file";
import { describePlan, setupSteps } from "./setup-plan";
import { execWrangler, runSetup } from "./setup-run";
import { environment } from "./wrangler-environments";

const usage = "usage: npm run deploy:setup -- --env <environment> [--plan] [--secrets-file <path>]";

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      env: { type: "string" },
      plan: { type: "boolean", default: false },
      "secrets-file": { type: "string" },
    },
    strict: true,
  });
  if (!values.env) {
    console.error(usage);
    return 2;
  }
  const env = environment(await readWranglerConfig(), values.env);
  const secretsPath = values["secrets-file"];
  let secrets: Secrets = {};
  if (secretsPath) {
    const file = Bun.file(secretsPath);
    if (!(await file.exists())) throw new Error(`secrets file ${secretsPath} not found`);
    secrets = parseSecretsFile(await file.text(), secretsPath);
  }
  const steps = setupSteps(env, Object.keys(secrets));

  if (values.plan) {
    console.log(describePlan(env, steps));
    if (!secretsPath) {
      console.log(
        `\nNo --secrets-file: the Worker also needs ${REQUIRED_SECRETS.join(", ")} (docs/deploy.md).`,
      );
    }
    return 0;
  }
  console.log(`Setting up environment "${env.name}" (Worker ${env.workerName})`);
  await runSetup(steps, secrets, execWrangler, (line) => console.log(`  ${line}`));
  console.log(
    `Done. Next: npx wrangler deploy --env ${env.name}, then check /health/ready (docs/deploy.md).`,
  );
  return 0;
}

if (import.meta.main) {
  try {
    process.exitCode = await main();
  } catch (error) {
    console.error(`deploy:setup: ${errorMessage(error)}`);
    process.exitCode = 1;
  }
}
