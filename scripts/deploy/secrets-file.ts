import { parseEnv } from "node:util";
import { JwtKeySetSchema } from "@edge/auth/access-tokens";
import { type Config, configSchema } from "@edge/config";

/**
 * What a deployment's secrets file must hold: credentials, and the settings that depend on the
 * account (the Worker's public URL), which therefore cannot live in wrangler.toml.
 */
export const REQUIRED_SECRETS = [
  "DATABASE_URL",
  "INFERENCE_EDGE_URL",
  "INFERENCE_CALLBACK_TOKEN",
  "OPERATIONS_TOKEN",
  "IMAGE_URL_SIGNING_KEY",
] as const satisfies ReadonlyArray<keyof Config>;

/**
 * What it may hold besides. `JWT_KEYS` is generated locally when neither the file nor the Worker
 * has it; the `R2_S3_*` credentials come all together or not at all; without
 * `TRAINER_CALLBACK_TOKEN` no trainer service is admitted (training runs stay queued).
 */
export const OPTIONAL_SECRETS = [
  "JWT_KEYS",
  "INFERENCE_URL",
  "TRAINER_CALLBACK_TOKEN",
  "R2_S3_ENDPOINT",
  "R2_S3_ACCESS_KEY_ID",
  "R2_S3_SECRET_ACCESS_KEY",
] as const satisfies ReadonlyArray<keyof Config>;

type SecretName = (typeof REQUIRED_SECRETS)[number] | (typeof OPTIONAL_SECRETS)[number];
export type Secrets = Partial<Record<SecretName, string>>;

const R2_S3 = ["R2_S3_ENDPOINT", "R2_S3_ACCESS_KEY_ID", "R2_S3_SECRET_ACCESS_KEY"] as const;
const known = new Set<string>([...REQUIRED_SECRETS, ...OPTIONAL_SECRETS]);

/** A secrets file that cannot be deployed; `problems` names every one, never a value. */
export class SecretsFileError extends Error {
  constructor(
    readonly path: string,
    readonly problems: string[],
  ) {
    super(`${path}: ${problems.join("; ")}`);
  }
}

/** The file as wrangler's `secret bulk` reads it: a JSON object, else `.env` lines. */
function parseEntries(text: string, path: string): Record<string, unknown> {
  if (text.trimStart().startsWith("{")) {
    try {
      const parsed: unknown = JSON.parse(text);
      if (parsed && typeof parsed === "object" && !Array.isArray(parsed))
        return parsed as Record<string, unknown>;
    } catch {
      // Reported below, without echoing the file.
    }
    throw new SecretsFileError(path, ["not a JSON object of names to strings"]);
  }
  return parseEnv(text);
}

/** The value problem of one setting, checked by the Worker's own validation. */
function valueProblem(name: SecretName, value: string): string | undefined {
  const parsed = configSchema.shape[name].safeParse(value);
  if (!parsed.success) return `${name}: ${parsed.error.issues.map((issue) => issue.message).join(", ")}`;
  if (name === "JWT_KEYS") {
    try {
      JwtKeySetSchema.parse(JSON.parse(value));
    } catch {
      return "JWT_KEYS: not a JWK set of ES256 keys whose first key has its private part";
    }
  }
  return undefined;
}

/**
 * Reads and checks a secrets file: refuses names the Worker does not take, missing required
 * ones, values its configuration would refuse, and a partial set of `R2_S3_*` credentials.
 */
export function parseSecretsFile(text: string, path: string): Secrets {
  const entries = parseEntries(text, path);
  const problems: string[] = [];
  const unknown = Object.keys(entries).filter((name) => !known.has(name));
  if (unknown.length > 0) {
    problems.push(`unknown name(s) ${unknown.join(", ")} (allowed: ${[...known].join(", ")})`);
  }
  const missing = REQUIRED_SECRETS.filter((name) => entries[name] === undefined || entries[name] === "");
  if (missing.length > 0) problems.push(`missing required ${missing.join(", ")}`);
  const secrets: Secrets = {};
  for (const name of [...REQUIRED_SECRETS, ...OPTIONAL_SECRETS]) {
    const value = entries[name];
    if (value === undefined || value === "") continue;
    if (typeof value !== "string") {
      problems.push(`${name}: must be a string`);
      continue;
    }
    const problem = valueProblem(name, value);
    if (problem) problems.push(problem);
    secrets[name] = value;
  }
  const r2Set = R2_S3.filter((name) => secrets[name] !== undefined);
  if (r2Set.length > 0 && r2Set.length < R2_S3.length) {
    problems.push(`${R2_S3.join(", ")} go together (got only ${r2Set.join(", ")})`);
  }
  if (problems.length > 0) throw new SecretsFileError(path, problems);
  return secrets;
}
