import { AwsClient } from "aws4fetch";
import type { Config } from "../config";

export type SignedUrl = { url: string; expiresAt: Date };

/** Path under which the Worker serves signed image reads (see routes/internal). */
export const SIGNED_OBJECT_PATH = "/internal/v1/objects/";

const encoder = new TextEncoder();

async function hmacKey(secret: string): Promise<CryptoKey> {
  return crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, [
    "sign",
    "verify",
  ]);
}

const toHex = (bytes: ArrayBuffer) =>
  Array.from(new Uint8Array(bytes), (b) => b.toString(16).padStart(2, "0")).join("");

function fromHex(hex: string): Uint8Array<ArrayBuffer> | null {
  if (!/^[0-9a-f]{64}$/.test(hex)) return null;
  return Uint8Array.from(hex.match(/../g) ?? [], (pair) => Number.parseInt(pair, 16));
}

/** What is signed: the object key and the expiry, nothing a caller could vary. */
const signedPayload = (objectKey: string, expires: number) => encoder.encode(`${objectKey}\n${expires}`);

/**
 * A short-lived URL from which the inference service reads an image without any other
 * credential: an R2 presigned URL when R2's S3 API credentials are configured, else a Worker
 * URL carrying an HMAC over the object key and expiry.
 */
export async function signImageUrl(config: Config, objectKey: string, now = Date.now()): Promise<SignedUrl> {
  const expiresAt = new Date(now + config.IMAGE_URL_TTL_SECONDS * 1000);
  if (config.R2_S3_ENDPOINT && config.R2_S3_ACCESS_KEY_ID && config.R2_S3_SECRET_ACCESS_KEY) {
    const client = new AwsClient({
      accessKeyId: config.R2_S3_ACCESS_KEY_ID,
      secretAccessKey: config.R2_S3_SECRET_ACCESS_KEY,
      service: "s3",
      region: "auto",
    });
    const target = new URL(
      `${config.R2_BUCKET_NAME}/${objectKey.split("/").map(encodeURIComponent).join("/")}`,
      config.R2_S3_ENDPOINT.endsWith("/") ? config.R2_S3_ENDPOINT : `${config.R2_S3_ENDPOINT}/`,
    );
    target.searchParams.set("X-Amz-Expires", String(config.IMAGE_URL_TTL_SECONDS));
    const signed = await client.sign(target.toString(), { method: "GET", aws: { signQuery: true } });
    return { url: signed.url, expiresAt };
  }
  const expires = Math.floor(expiresAt.getTime() / 1000);
  const signature = await crypto.subtle.sign(
    "HMAC",
    await hmacKey(config.IMAGE_URL_SIGNING_KEY),
    signedPayload(objectKey, expires),
  );
  const url = new URL(`${SIGNED_OBJECT_PATH}${encodeURIComponent(objectKey)}`, config.INFERENCE_EDGE_URL);
  url.searchParams.set("exp", String(expires));
  url.searchParams.set("sig", toHex(signature));
  return { url: url.toString(), expiresAt };
}

export type SignatureCheck = "valid" | "expired" | "invalid";

/** Verifies a Worker-signed image URL (constant-time comparison through WebCrypto). */
export async function checkImageUrlSignature(
  config: Config,
  objectKey: string,
  expires: string | undefined,
  signature: string | undefined,
  now = Date.now(),
): Promise<SignatureCheck> {
  const exp = Number(expires);
  const sig = signature ? fromHex(signature) : null;
  if (!Number.isInteger(exp) || !sig) return "invalid";
  const ok = await crypto.subtle.verify(
    "HMAC",
    await hmacKey(config.IMAGE_URL_SIGNING_KEY),
    sig,
    signedPayload(objectKey, exp),
  );
  if (!ok) return "invalid";
  return exp * 1000 < now ? "expired" : "valid";
}
