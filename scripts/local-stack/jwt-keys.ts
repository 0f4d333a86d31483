import { existsSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { exportJWK, generateKeyPair } from "jose";

/** A new ES256 key as a one-key JWK set, the format of the Worker's `JWT_KEYS` secret. */
export async function generateJwtKeySet(): Promise<string> {
  const { privateKey } = await generateKeyPair("ES256", { extractable: true });
  const jwk = await exportJWK(privateKey);
  const kid = `${new Date().toISOString().slice(0, 10)}-${crypto.randomUUID().slice(0, 8)}`;
  return JSON.stringify({ keys: [{ ...jwk, kid, alg: "ES256", use: "sig" }] });
}

/** The local stack's signing key: made on first start, kept so sessions survive restarts. */
export async function localJwtKeySet(path: string): Promise<string> {
  if (existsSync(path)) return (await readFile(path, "utf8")).trim();
  const keys = await generateJwtKeySet();
  await writeFile(path, keys, { mode: 0o600 });
  return keys;
}

if (import.meta.main) console.log(await generateJwtKeySet());
