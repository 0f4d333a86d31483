import { randomToken, sha256Hex } from "./secrets";

/** Every key starts with this, so keys are recognisable in logs and by secret scanners. */
export const API_KEY_PREFIX = "ddk_";
const PREFIX_LENGTH = API_KEY_PREFIX.length + 8;

export type NewApiKey = { key: string; prefix: string; hash: string };

/** A new key: `ddk_` + 256 random bits. Only the hash and the visible prefix are stored. */
export async function generateApiKey(): Promise<NewApiKey> {
  const key = `${API_KEY_PREFIX}${randomToken(32)}`;
  return { key, prefix: key.slice(0, PREFIX_LENGTH), hash: await sha256Hex(key) };
}

export function looksLikeApiKey(credential: string): boolean {
  return credential.startsWith(API_KEY_PREFIX) && credential.length > PREFIX_LENGTH;
}
