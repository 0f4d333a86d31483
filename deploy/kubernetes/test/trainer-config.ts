import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseDockerfile, parseEnv } from "@scripts/image/dockerfile";

const REPO = fileURLToPath(new URL("../../..", import.meta.url));

/** The interpreter that reads the trainer's settings (its `settings.py` needs no torch). */
export const trainerPython = process.env.PYTHON ?? "/usr/bin/python3";
export const trainerPythonMissing = !existsSync(trainerPython);

/** The ENV the trainer image sets (inference/training/Dockerfile): the pod starts with it. */
export function trainerImageEnv(): Record<string, string> {
  const [stage] = parseDockerfile(readFileSync(join(REPO, "inference/training/Dockerfile"), "utf8"));
  const env: Record<string, string> = {};
  for (const { keyword, args } of stage?.instructions ?? []) {
    if (keyword === "ENV") for (const [name, value] of parseEnv(args)) env[name] = value;
  }
  return env;
}

const READ_SETTINGS = [
  "import json, sys",
  "sys.path.insert(0, 'inference/training/service')",
  "from settings import load_settings",
  "try:",
  "    print(json.dumps(load_settings(json.load(sys.stdin)).printable()))",
  "except ValueError as error:",
  "    print(error, file=sys.stderr)",
  "    sys.exit(2)",
].join("\n");

/**
 * The trainer's settings in `env`, read and checked by the trainer's own `load_settings` (as it
 * does at start), printed as it prints them: `TRAINER_*` names, secrets as `***`. Throws with the
 * trainer's message when a setting is refused.
 */
export function trainerSettings(env: Record<string, string>): Record<string, string> {
  const result = spawnSync(trainerPython, ["-c", READ_SETTINGS], {
    cwd: REPO,
    input: JSON.stringify(env),
    encoding: "utf8",
  });
  if (result.status !== 0) throw new Error(result.stderr.trim() || `exit ${result.status}`);
  return JSON.parse(result.stdout) as Record<string, string>;
}
