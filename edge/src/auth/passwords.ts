import Argon2, { Argon2Type, Argon2Version } from "@phi-ag/argon2";
import argon2Wasm from "@phi-ag/argon2/argon2.wasm";
import { commonPasswords } from "./common-passwords";

/** OWASP's argon2id baseline: 19 MiB, 2 passes, 1 lane. Raising these upgrades hashes at login. */
export const argon2Params = { memoryCost: 19 * 1024, timeCost: 2, parallelism: 1 } as const;

export const passwordPolicy = { minLength: 12, maxLength: 256 } as const;

let instance: Promise<Argon2> | undefined;

/** The Wasm instance is created once per isolate; hashing itself is synchronous. */
function argon2(): Promise<Argon2> {
  instance ??= WebAssembly.instantiate(argon2Wasm).then((module) => new Argon2(module));
  return instance;
}

/** Returns why a new password is refused, or null when it satisfies the policy. */
export function passwordProblem(password: string, email: string): string | null {
  if ([...password].length < passwordPolicy.minLength) {
    return `Password must be at least ${passwordPolicy.minLength} characters long`;
  }
  if ([...password].length > passwordPolicy.maxLength) {
    return `Password must be at most ${passwordPolicy.maxLength} characters long`;
  }
  const lowered = password.toLowerCase();
  if (commonPasswords.has(lowered)) return "Password is too common";
  const local = email.split("@")[0] ?? "";
  if (local.length >= 4 && lowered.includes(local)) return "Password must not contain the email address";
  return null;
}

/** Hashes with the current parameters into a PHC string (`$argon2id$v=19$m=...,t=...,p=...$salt$hash`). */
export async function hashPassword(password: string): Promise<string> {
  return (await argon2()).hash(password, {
    ...argon2Params,
    type: Argon2Type.Argon2id,
    version: Argon2Version.Version13,
    hashLength: 32,
  }).encoded;
}

export async function verifyPassword(encoded: string, password: string): Promise<boolean> {
  return (await argon2()).tryVerify(encoded, password, Argon2Type.Argon2id).success;
}

const PHC_PARAMS = /^\$argon2id\$v=(\d+)\$m=(\d+),t=(\d+),p=(\d+)\$/;

/** True when a stored hash was made with weaker parameters than the current ones. */
export function needsRehash(encoded: string): boolean {
  const match = PHC_PARAMS.exec(encoded);
  if (!match) return true;
  const [, version, m, t, p] = match.map(Number);
  return (
    version !== Argon2Version.Version13 ||
    (m ?? 0) < argon2Params.memoryCost ||
    (t ?? 0) < argon2Params.timeCost ||
    (p ?? 0) < argon2Params.parallelism
  );
}

let dummyHash: Promise<string> | undefined;

/**
 * Spends the same work as a real verification, so "no such user" takes as long as "wrong
 * password" and the two cannot be told apart by timing.
 */
export async function burnVerification(password: string): Promise<void> {
  dummyHash ??= hashPassword("timing-equaliser-not-a-real-password");
  await verifyPassword(await dummyHash, password);
}
