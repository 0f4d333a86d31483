import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { z } from "zod";

const LocalSecretsSchema = z.object({
  serviceToken: z.string(),
  inferenceToken: z.string(),
  imageUrlSigningKey: z.string(),
});
export type LocalSecrets = z.infer<typeof LocalSecretsSchema>;

const random = () => randomBytes(32).toString("base64url");

export function generateLocalSecrets(): LocalSecrets {
  return { serviceToken: random(), inferenceToken: random(), imageUrlSigningKey: random() };
}

/** Service credentials of the local stack: made on first start, kept across restarts. */
export async function localSecrets(path: string): Promise<LocalSecrets> {
  if (existsSync(path)) return LocalSecretsSchema.parse(JSON.parse(await readFile(path, "utf8")));
  const secrets = generateLocalSecrets();
  await writeFile(path, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  return secrets;
}
