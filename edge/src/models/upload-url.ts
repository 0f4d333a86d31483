import type { Config } from "../config";

/** Path of the signed model upload route (routes/models/receive.ts). */
export const MODEL_UPLOAD_PATH = "/v1/model-uploads/";

const encoder = new TextEncoder();

const hmacKey = (secret: string) =>
  crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, [
    "sign",
    "verify",
  ]);

/** What is signed; the prefix keeps an upload signature from ever passing as an object read's. */
const payload = (uploadId: string, expires: number) =>
  encoder.encode(`model-upload\n${uploadId}\n${expires}`);

const toHex = (bytes: ArrayBuffer) =>
  Array.from(new Uint8Array(bytes), (b) => b.toString(16).padStart(2, "0")).join("");

/**
 * The URL a model file is `PUT` to: the upload id and expiry under an HMAC with the object URL
 * key (`IMAGE_URL_SIGNING_KEY`). The signature is the whole credential; the upload row makes it
 * single-use.
 */
export async function signModelUploadUrl(
  config: Config,
  baseUrl: string,
  uploadId: string,
  expiresAt: Date,
): Promise<string> {
  const expires = Math.floor(expiresAt.getTime() / 1000);
  const signature = await crypto.subtle.sign(
    "HMAC",
    await hmacKey(config.IMAGE_URL_SIGNING_KEY),
    payload(uploadId, expires),
  );
  const url = new URL(`${MODEL_UPLOAD_PATH}${uploadId}`, baseUrl);
  url.searchParams.set("exp", String(expires));
  url.searchParams.set("sig", toHex(signature));
  return url.toString();
}

/** Verifies a signed upload URL (constant-time comparison through WebCrypto). */
export async function checkModelUploadSignature(
  config: Config,
  uploadId: string,
  expires: string | undefined,
  signature: string | undefined,
  now = Date.now(),
): Promise<"valid" | "expired" | "invalid"> {
  const exp = Number(expires);
  if (!Number.isInteger(exp) || !signature || !/^[0-9a-f]{64}$/.test(signature)) return "invalid";
  const sig = Uint8Array.from(signature.match(/../g) ?? [], (pair) => Number.parseInt(pair, 16));
  const ok = await crypto.subtle.verify(
    "HMAC",
    await hmacKey(config.IMAGE_URL_SIGNING_KEY),
    sig,
    payload(uploadId, exp),
  );
  if (!ok) return "invalid";
  return exp * 1000 < now ? "expired" : "valid";
}
