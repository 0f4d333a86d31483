import { AwsClient } from "aws4fetch";
import type { Config } from "../config";

export type SignedUrl = { url: string; expiresAt: Date };

/** Path under which the Worker serves signed object reads (routes/internal/objects.ts). */
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

type R2S3Access = { endpoint: string; accessKeyId: string; secretAccessKey: string; bucket: string };

/** R2's S3 API access when all of its settings are there; otherwise the Worker signs its own URLs. */
function r2S3Access(config: Config): R2S3Access | null {
  const { R2_S3_ENDPOINT: endpoint, R2_S3_ACCESS_KEY_ID: accessKeyId } = config;
  const secretAccessKey = config.R2_S3_SECRET_ACCESS_KEY;
  if (!endpoint || !accessKeyId || !secretAccessKey) return null;
  return { endpoint, accessKeyId, secretAccessKey, bucket: config.R2_BUCKET_NAME };
}

/** One client per configuration (one per isolate): it caches the derived signing key per day. */
const clients = new WeakMap<Config, AwsClient>();

function s3Client(config: Config, access: R2S3Access): AwsClient {
  let client = clients.get(config);
  if (!client) {
    client = new AwsClient({
      accessKeyId: access.accessKeyId,
      secretAccessKey: access.secretAccessKey,
      service: "s3",
      // R2 accepts "auto" (and us-east-1 as its alias); the signature's scope must say the same.
      region: "auto",
    });
    clients.set(config, client);
  }
  return client;
}

/** `<endpoint>/<bucket>/<key>`, path style, each key segment percent-encoded. */
export function r2S3ObjectUrl(endpoint: string, bucket: string, objectKey: string): URL {
  const path = objectKey.split("/").map(encodeURIComponent).join("/");
  return new URL(`${encodeURIComponent(bucket)}/${path}`, endpoint.endsWith("/") ? endpoint : `${endpoint}/`);
}

/** SigV4's timestamp: `YYYYMMDD'T'HHMMSS'Z'`. */
const amzDate = (at: Date) => at.toISOString().replace(/[:-]|\.\d{3}/g, "");

/**
 * A short-lived URL from which a holder reads one object of the bucket (`R2_BUCKET_NAME`, the
 * `IMAGES` binding) without any other credential: images, and any other object the edge wrote
 * (dataset files, model files). When R2's S3 API credentials are configured it is an R2
 * presigned GET URL, so the bytes never pass through the Worker; else a Worker URL carrying an
 * HMAC over the object key and expiry (`checkObjectUrlSignature`). Both expire after
 * `IMAGE_URL_TTL_SECONDS`, counted from the whole second of `now`.
 */
export async function signObjectUrl(config: Config, objectKey: string, now = Date.now()): Promise<SignedUrl> {
  const signedAt = new Date(Math.floor(now / 1000) * 1000);
  const expiresAt = new Date(signedAt.getTime() + config.IMAGE_URL_TTL_SECONDS * 1000);
  const access = r2S3Access(config);
  if (access) {
    const target = r2S3ObjectUrl(access.endpoint, access.bucket, objectKey);
    target.searchParams.set("X-Amz-Expires", String(config.IMAGE_URL_TTL_SECONDS));
    const signed = await s3Client(config, access).sign(target.toString(), {
      method: "GET",
      aws: { signQuery: true, datetime: amzDate(signedAt) },
    });
    return { url: signed.url, expiresAt };
  }
  const expires = expiresAt.getTime() / 1000;
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

/** The image a detect message names is an object like any other. */
export const signImageUrl = signObjectUrl;

export type SignatureCheck = "valid" | "expired" | "invalid";

/** Verifies a Worker-signed object URL (constant-time comparison through WebCrypto). */
export async function checkObjectUrlSignature(
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
