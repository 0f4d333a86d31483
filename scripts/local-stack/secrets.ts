import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { z } from "zod";

const LocalSecretsSchema = z.object({
  callbackToken: z.string(),
  inferenceApiToken: z.string(),
  imageUrlSigningKey: z.string(),
  operationsToken: z.string(),
  trainerCallbackToken: z.string(),
});
export type LocalSecrets = z.infer<typeof LocalSecretsSchema>;

const random = () => randomBytes(32).toString("base64url");

export function generateLocalSecrets(): LocalSecrets {
  return {
    callbackToken: random(),
    inferenceApiToken: random(),
    imageUrlSigningKey: random(),
    operationsToken: random(),
    trainerCallbackToken: random(),
  };
}

/**
 * Service credentials of the local stack: made on first start, kept across restarts. A file of an
 * older shape (other field names) is replaced: every process that uses them starts together.
 */
export async function localSecrets(path: string): Promise<LocalSecrets> {
  if (existsSync(path)) {
    const stored = LocalSecretsSchema.safeParse(JSON.parse(await readFile(path, "utf8")));
    if (stored.success) return stored.data;
  }
  const secrets = generateLocalSecrets();
  await writeFile(path, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  return secrets;
}
